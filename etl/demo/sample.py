"""Loading the real sample (data/sample, made by data/build_sample.py) through the ordinary loaders.

Every step is the same ``etl.pipeline.load`` an operator runs, so the demo exercises the
product, and loading twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from sqlalchemy import Connection

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.jobs.places import PLACE_ALIASES
from etl.readers import FrameSource, SourceTable
from etl.report import LoadReport
from geo.errors import ConfigError
from geo.settings import EtlSettings
from geo.vocab import PLACE_KIND_CODES


@dataclass(frozen=True)
class SampleStep:
    kind: str
    file: str
    options: LoadOptions


# In dependency order: units before what is assigned to them, addresses before the cases matched to them.
STEPS: tuple[SampleStep, ...] = (
    SampleStep("admin", "districts_gcj02.geojson", LoadOptions(crs="gcj02", level="district", assign=False)),
    SampleStep("admin", "subdistricts.geojson.gz", LoadOptions(level="subdistrict", assign=False)),
    SampleStep("compounds", "compounds_lujiazui.geojson.gz", LoadOptions(source="osm", assign=False)),
    SampleStep("buildings", "buildings_lujiazui.geojson.gz", LoadOptions(source="osm")),
    SampleStep("places", "pois_lujiazui.geojson.gz", LoadOptions(source="osm")),
    SampleStep("basemap", "basemap_lujiazui.geojson.gz", LoadOptions(source="osm")),
    SampleStep("addresses", "case_addresses_geocoded.csv.gz", LoadOptions(crs="gcj02")),
    SampleStep("cases", "case_addresses_daily.csv.gz", LoadOptions()),
    SampleStep("risk-areas", "risk_areas_shanghai.csv.gz", LoadOptions()),
)


def sample_path(sample_dir: Path, name: str) -> Path:
    path = sample_dir / name
    if not path.exists():
        raise ConfigError(
            f"demo sample file {path} is missing; rebuild it with `python data/build_sample.py`"
        )
    return path


def load_sample(conn: Connection, sample_dir: Path, *, settings: EtlSettings) -> Iterator[LoadReport]:
    """Load every real file of the sample, yielding each report as it completes."""
    for step in STEPS:
        path = sample_path(sample_dir, step.file)
        source: Path | SourceTable = path
        if step.kind == "buildings":
            source = _whole_buildings(path)
        elif step.kind == "places":
            source = _operational_places(path)
        options = LoadOptions(
            **{
                **step.options.__dict__,
                "progress": False,
                "rejects_path": _rejects_dir() / f"{step.file}.rejects.csv",
            }
        )
        yield pipeline.load(conn, step.kind, source, options=options, settings=settings)


def _read(path: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(f"/vsigzip/{path}" if path.suffix == ".gz" else path)


def _whole_buildings(path: Path) -> FrameSource:
    """OSM ``building_part`` polygons lie on top of their building: loading both would count floors twice."""
    frame = _read(path)
    return FrameSource(frame[frame["kind"] != "building_part"].reset_index(drop=True), name=path.name)


def _operational_places(path: Path) -> FrameSource:
    """Only the POIs that are places of operations (gates, hospitals, schools, shops, stations)."""
    frame = _read(path)
    kinds = frame["kind"].map(lambda k: k if k in PLACE_KIND_CODES else PLACE_ALIASES.get(str(k).lower()))
    frame = frame.assign(kind=kinds)[kinds.notna()].reset_index(drop=True)
    return FrameSource(frame, name=path.name)


def _rejects_dir() -> Path:
    from tempfile import gettempdir

    return Path(gettempdir()) / "battlemap-demo-rejects"
