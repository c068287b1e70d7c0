"""The OGC API (Features and Tiles) over the loaded layers: collections, their query parameters, and the
items as streamed GeoJSON. The HTTP shell is ``dashboards/_ogc_*.py``; what each kind holds and who may
see which rows is ``geo.features``'s and ``geo.scope``'s."""
