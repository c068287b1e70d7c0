"""Run by the system Python with PyQGIS (Debian's python3-qgis), headless: the README's QGIS recipe.

``python3 pyqgis_render.py BASE KEY OUT_DIR`` adds the OGC API - Features layer ``buildings`` and the
vector tile layer ``buildings`` of the server at BASE exactly as the recipe says (URL key in the
URLs), renders each over the small city to ``OUT_DIR/qgis-<layer>.png`` and prints one JSON line:
per layer, whether it is valid, its feature count (features only) and the share of painted pixels.
"""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import quote

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsSingleSymbolRenderer,
    QgsSymbol,
    QgsVectorLayer,
    QgsVectorTileBasicRenderer,
    QgsVectorTileLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

FILL = QColor(214, 39, 40)
BOX = (121.4975, 31.2395, 121.5015, 31.2427)  # the small city's buildings, with a margin


def render(layer, out: str) -> float:  # type: ignore[no-untyped-def]
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    to_mercator = QgsCoordinateTransform(wgs84, settings.destinationCrs(), QgsProject.instance())
    settings.setExtent(to_mercator.transformBoundingBox(QgsRectangle(*BOX)))
    settings.setOutputSize(QSize(600, 480))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(out, "PNG")
    painted = 0
    for x in range(0, image.width(), 3):
        for y in range(0, image.height(), 3):
            colour = QColor(image.pixel(x, y))
            if abs(colour.red() - FILL.red()) < 40 and colour.green() < 110 and colour.blue() < 110:
                painted += 1
    return painted / ((image.width() // 3 + 1) * (image.height() // 3 + 1))


def main(base: str, key: str, out_dir: str) -> None:
    app = QgsApplication([], False)
    app.initQgis()
    result: dict[str, object] = {}
    # Recipe step 2: OGC API - Features, the landing page URL with the key.
    uri = f"url='{base}/ogc?key={key}' typename='buildings' pagingEnabled='true'"
    features = QgsVectorLayer(uri, "buildings (OGC API)", "OAPIF")
    entry: dict[str, object] = {"valid": features.isValid()}
    if features.isValid():
        symbol = QgsSymbol.defaultSymbol(QgsWkbTypes.PolygonGeometry)
        symbol.setColor(FILL)
        features.setRenderer(QgsSingleSymbolRenderer(symbol))
        entry["features"] = sum(1 for _ in features.getFeatures())  # paged through the next links
        entry["painted"] = render(features, os.path.join(out_dir, "qgis-features.png"))
    result["features"] = entry
    # Recipe step 3: a generic vector tile connection, the tile URL with the key.
    tiles_url = f"{base}/tiles/buildings/{{z}}/{{x}}/{{y}}.pbf?key={key}"
    tiles = QgsVectorTileLayer(
        f"type=xyz&url={quote(tiles_url, safe='')}&zmin=0&zmax=22", "buildings (tiles)"
    )
    entry = {"valid": tiles.isValid()}
    if tiles.isValid():
        renderer = QgsVectorTileBasicRenderer()
        renderer.setStyles(
            QgsVectorTileBasicRenderer.simpleStyle(FILL, FILL, 0.3, FILL, 0.3, FILL, FILL, 2.0)
        )
        tiles.setRenderer(renderer)
        entry["painted"] = render(tiles, os.path.join(out_dir, "qgis-tiles.png"))
    result["tiles"] = entry
    print(json.dumps(result), flush=True)
    # QGIS 3.22's exitQgis() can crash on the way out of a headless process; everything is written.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
