"""What a load job is: the fields it reads, the geometry it expects, and its SQL hooks.

A new kind of input is one new module in etl/jobs/ with a ``JOB`` and one entry in
``etl.jobs.REGISTRY``; the pipeline (etl/pipeline.py) does the rest the same way for all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection

from etl import staging
from etl.columns import Parser, as_text
from etl.report import LoadReport
from etl.staging import Derived, StageColumn
from geo.settings import EtlSettings


@dataclass(frozen=True)
class Field:
    """One attribute a job reads: where to find it, how to parse it, where it goes."""

    name: str
    candidates: tuple[str, ...] = ()
    parse: Parser = as_text
    sql_type: str = "text"
    required: bool = False
    # Copied to the target table under the same name; False for references resolved in SQL.
    target: bool = True
    # The CLI option that names this field's column explicitly (``id`` -> --id-col, ``name`` -> --name-col).
    option: str | None = None
    # Where a value that is not copied to the job's table is stored ("table.column"), for its length limit.
    stored_as: str | None = None
    # A name, phone or ID number: never shown in a rejects CSV or a message (etl.cells.masked).
    personal: bool = False

    @property
    def stage_column(self) -> StageColumn:
        return StageColumn(self.name, self.sql_type)


@dataclass(frozen=True)
class LoadOptions:
    """The options of ``battlemap load``, shared by every kind."""

    crs: str | None = None
    date: dt.date | None = None
    lon_col: str | None = None
    lat_col: str | None = None
    wkt_col: str | None = None
    id_col: str | None = None
    name_col: str | None = None
    layer: str | None = None
    level: str | None = None
    # places only: the kind of every row that names none (``--kind``).
    place_kind: str | None = None
    area: tuple[float, float, float, float] | None = None
    rejects_path: Path | None = None
    strict: bool = False
    source: str | None = None
    progress: bool | None = None
    assign: bool = True
    # Text encoding to read the file with (``--encoding``); None detects it.
    encoding: str | None = None
    # Load admin units even where they overlap units of the same level (``--force``).
    force: bool = False
    # Address matching (cases, risk areas): the lowest score applied (``--min-score``), and where
    # the unmatched and low-confidence rows are listed with their best candidates (``--review``).
    min_score: float = 80.0
    review_path: Path | None = None
    # An operator's filled-in review file whose choices this load applies (``--reviewed``).
    reviewed_path: Path | None = None


@dataclass
class Job:
    """A kind of input: subclasses override the hooks they need."""

    kind: str
    table: str
    fields: tuple[Field, ...]
    # Geometry types accepted; None when the kind has no geometry of its own.
    geometry: tuple[str, ...] | None = None
    geometry_required: bool = True
    # The fields that identify a row when the file has no id column.
    identity: tuple[str, ...] = ()
    # Rows repeated to the letter are separate records (a case list lists an address once per case).
    keep_repeats: bool = False
    id_candidates: tuple[str, ...] = ("id", "source_id", "fid", "编号")
    extra_stage_columns: tuple[StageColumn, ...] = field(default_factory=tuple)
    # Required fields that ``derive`` can fill from options or other fields (no column needed).
    derivable: tuple[str, ...] = ()
    # Written by the upsert, so a large load into a nearly empty table may write in bulk instead,
    # indexes and foreign keys built once after (etl.bulk); a kind that overrides ``store`` cannot.
    bulk: bool = False
    # New rows are written along the curve of their label points (etl.staging.curve_key), so that
    # neighbours share pages; their ids follow that order instead of the file's.
    spatial_order: bool = False

    @property
    def target_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.target] + [c.name for c in self.extra_stage_columns]

    def geometry_sql(self) -> str | None:
        """The SELECT expression for the target's geom column from the staged ``geom``."""
        if self.geometry is None:
            return None
        return "ST_Multi(geom)" if "MultiPolygon" in self.geometry else "geom"

    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        """Compute derived fields from the parsed ones (runs per chunk, before staging)."""
        return frame

    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        """Resolve references in SQL; reject rows that point at nothing."""

    def check(
        self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions, settings: EtlSettings
    ) -> None:
        """Checks of the staged rows against what is stored (after ``resolve``); may refuse the load."""

    def store(
        self,
        conn: Connection,
        stage: str,
        report: LoadReport,
        options: LoadOptions,
        *,
        source: str,
        derived: Derived | None = None,
    ) -> tuple[int, int]:
        """Write the staged rows into the target table; returns (inserted, updated).

        The upsert by ``source_id``; a kind with a write rule of its own (house status) overrides it.
        """
        return staging.upsert(
            conn,
            stage,
            self.table,
            self.target_columns,
            source=source,
            geometry_sql=self.geometry_sql(),
            derived=derived,
            spatial_order=self.spatial_order,
        )

    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        """Work that follows the upsert: spatial assignment, closing superseded statuses…"""
