"""Overlays: an analyst's GeoDataFrame published from a notebook as a named map layer.

``publish`` checks and stores one (a table of its own in the author's schema, a row of the ``overlays``
registry), ``registry`` holds the rule of who sees which overlay and the commander's approval, and
``tiles`` makes its vector tiles; its OGC collection is ``geo.ogc``'s (``overlay:<name>``).
"""
