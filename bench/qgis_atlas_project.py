"""Build the QGIS side of ``bench.atlas``: a project whose print layout is an A3 atlas equivalent to ours.

Run by the system Python that has PyQGIS (``/usr/bin/python3``), not by battlemap's venv:
``python3 bench/qgis_atlas_project.py CONFIG.json``. The config (written by ``bench.atlas``)
names the database, the views to read, the paper and the colours (from ``layers.style``), and
where to write the ``.qgs``. The layout has what our sheets have: the grid map (buildings by
status, roads, water, neighbouring grids, the grid bold), a title, a legend with feature counts,
a scale bar, a true-north arrow, the grid's responsibility table and a footer.
"""

from __future__ import annotations

import json
import sys

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsDataSourceUri,
    QgsFillSymbol,
    QgsLayoutFrame,
    QgsLayoutItemAttributeTable,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLineSymbol,
    QgsPrintLayout,
    QgsProject,
    QgsRendererCategory,
    QgsSingleSymbolRenderer,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QFont

MM = QgsUnitTypes.LayoutMillimeters


def main(config_path: str) -> None:
    with open(config_path, encoding="utf-8") as handle:
        cfg = json.load(handle)
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    project.setCrs(QgsCoordinateReferenceSystem(cfg["crs"]))

    def layer(table: str, key: str, geom: str | None = "geom") -> QgsVectorLayer:
        uri = QgsDataSourceUri()
        uri.setConnection(
            cfg["host"], str(cfg["port"]), cfg["database"], cfg["user"], cfg.get("password", "")
        )
        uri.setDataSource("public", table, geom, "", key)
        out = QgsVectorLayer(uri.uri(False), table, "postgres")
        if not out.isValid():
            raise SystemExit(f"QGIS cannot open {table}")
        project.addMapLayer(out)
        return out

    coverage = layer(cfg["grids_view"], "id")
    context = layer(cfg["context_view"], "id")
    buildings = layer(cfg["buildings_view"], "id")
    roads = layer(cfg["roads_view"], "id")
    water = layer(cfg["water_view"], "id")
    people = layer(cfg["people_view"], "pid", None)

    categories = [
        QgsRendererCategory(
            code,
            QgsFillSymbol.createSimple({"color": fill, "outline_color": line, "outline_width": "0.15"}),
            label,
        )
        for code, label, fill, line in cfg["statuses"]
    ]
    buildings.setRenderer(QgsCategorizedSymbolRenderer("status", categories))
    roads.setRenderer(
        QgsSingleSymbolRenderer(QgsLineSymbol.createSimple({"color": "#ffffff", "width": "0.6"}))
    )
    water.setRenderer(
        QgsSingleSymbolRenderer(QgsFillSymbol.createSimple({"color": cfg["water"], "outline_style": "no"}))
    )
    context.setRenderer(
        QgsSingleSymbolRenderer(
            QgsFillSymbol.createSimple(
                {
                    "color": "0,0,0,0",
                    "outline_color": "#8f8a82",
                    "outline_width": "0.3",
                    "outline_style": "dash",
                }
            )
        )
    )
    coverage.setRenderer(
        QgsSingleSymbolRenderer(
            QgsFillSymbol.createSimple(
                {"color": "0,0,0,0", "outline_color": "#1a1a1a", "outline_width": "0.8"}
            )
        )
    )

    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName("atlas")
    width, height = cfg["page_mm"]
    layout.pageCollection().page(0).setPageSize(QgsLayoutSize(width, height, MM))
    font = QFont(cfg["font"], 9)

    m = QgsLayoutItemMap(layout)
    m.attemptMove(QgsLayoutPoint(10, 26, MM))
    m.attemptResize(QgsLayoutSize(width - 20, height * 0.6, MM))
    m.setCrs(QgsCoordinateReferenceSystem(cfg["crs"]))
    m.setLayers([coverage, context, buildings, roads, water])
    m.setFrameEnabled(True)
    m.setAtlasDriven(True)
    m.setAtlasScalingMode(QgsLayoutItemMap.Auto)
    m.setAtlasMargin(0.08)
    layout.addLayoutItem(m)

    def label(text: str, x: float, y: float, w: float, size: int) -> None:
        item = QgsLayoutItemLabel(layout)
        item.setText(text)
        item.setFont(QFont(cfg["font"], size))
        item.attemptMove(QgsLayoutPoint(x, y, MM))
        item.attemptResize(QgsLayoutSize(w, size * 0.6, MM))
        layout.addLayoutItem(item)

    label('[% "name" %]  [% "code" %]', 10, 8, 200, 18)
    label(f'[% "unit_name" %] · 房态图 · {cfg["date"]}', 10, 17, 200, 10)
    label(cfg["footer"], 10, height - 14, width - 20, 7)

    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(m)
    legend.setLegendFilterByMapEnabled(True)
    legend.setTitle("图例 · 房态图")
    legend.setStyleFont(0, font)
    root = legend.model().rootGroup()
    for child in list(root.children()):
        if child.layer() is not buildings:
            root.removeChildNode(child)
        else:
            child.setCustomProperty("showFeatureCount", True)
    legend.attemptMove(QgsLayoutPoint(10, 30 + height * 0.6, MM))
    layout.addLayoutItem(legend)

    bar = QgsLayoutItemScaleBar(layout)
    bar.setLinkedMap(m)
    bar.setStyle("Single Box")
    bar.setUnits(QgsUnitTypes.DistanceMeters)
    bar.setNumberOfSegments(4)
    bar.setUnitsPerSegment(25)
    bar.setUnitLabel("米")
    bar.attemptMove(QgsLayoutPoint(14, 20 + height * 0.6, MM))
    layout.addLayoutItem(bar)

    arrow = QgsLayoutItemPicture(layout)
    arrow.setPicturePath("/usr/share/qgis/svg/arrows/NorthArrow_02.svg")
    arrow.setLinkedMap(m)
    arrow.setNorthMode(QgsLayoutItemPicture.TrueNorth)
    arrow.attemptMove(QgsLayoutPoint(width - 30, 30, MM))
    arrow.attemptResize(QgsLayoutSize(14, 14, MM))
    layout.addLayoutItem(arrow)

    table = QgsLayoutItemAttributeTable.create(layout)
    table.setVectorLayer(people)
    table.setFilterFeatures(True)
    table.setFeatureFilter("\"grid_id\" = attribute(@atlas_feature, 'id')")
    table.setMaximumNumberOfFeatures(30)
    table.setContentFont(QFont(cfg["font"], 7))
    layout.addMultiFrame(table)
    frame = QgsLayoutFrame(layout, table)
    frame.attemptMove(QgsLayoutPoint(width / 2, 30 + height * 0.6, MM))
    frame.attemptResize(QgsLayoutSize(width / 2 - 10, height * 0.3, MM))
    table.addFrame(frame)

    atlas = layout.atlas()
    atlas.setCoverageLayer(coverage)
    atlas.setEnabled(True)
    atlas.setSortFeatures(True)
    atlas.setSortExpression('"code"')
    project.layoutManager().addLayout(layout)
    if not project.write(cfg["project"]):
        raise SystemExit(f"cannot write {cfg['project']}")
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1])
