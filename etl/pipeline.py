"""The one funnel every load goes through: extract -> validate -> stage -> resolve -> upsert.

``load()`` runs inside the caller's connection and transaction: the CLI wraps it in
``engine.begin()``, tests in a transaction they roll back.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection
from tqdm import tqdm

from etl import bulk, staging
from etl.assign import qa_summary, stage_units
from etl.cells import check_cells, masked, printable
from etl.columns import Parser
from etl.jobs import REGISTRY
from etl.jobs.base import Field, Job, LoadOptions
from etl.plan import Plan, plan_for
from etl.readers import Chunk, SourceTable, open_source
from etl.report import LoadReport, default_rejects_path, refuse_symlink, write_rejects
from etl.validate import check_geometries, geometries_from_wkt, points_from_columns, stored_wkb
from geo.errors import InputError, NotFound, RejectLimitExceeded
from geo.settings import EtlSettings

logger = logging.getLogger(__name__)

_INTEGER_TYPES = ("smallint", "integer", "bigint")

# Loads that change where buildings belong; they end with the QA summary.
_SPATIAL_FRAME_TABLES = ("buildings", "grids", "compounds", "admin_units")


def job_for(kind: str) -> Job:
    try:
        return REGISTRY[kind]
    except KeyError:
        raise NotFound(f"unknown kind {kind!r}: expected one of {', '.join(REGISTRY)}") from None


def load(
    conn: Connection,
    kind: str,
    source: Path | str | SourceTable,
    *,
    options: LoadOptions | None = None,
    settings: EtlSettings | None = None,
) -> LoadReport:
    """Load one file (or in-memory table) of ``kind`` into PostGIS and report what happened.

    Raises
    ------
    InputError
        when the input cannot be loaded as a whole (unreadable, no coordinates, wrong
        geometry type throughout, every row rejected, or ``strict`` with any reject).
        The rejects CSV is written either way.
    """
    options = options or LoadOptions()
    settings = settings or EtlSettings(_env_file=None)
    job = job_for(kind)
    if not isinstance(source, (str, Path)):
        table = source
    else:
        refuse_symlink(Path(options.rejects_path or default_rejects_path(Path(source))))
        table = open_source(source, layer=options.layer, encoding=options.encoding, settings=settings)
    report = LoadReport(kind=kind, path=str(table.path))
    report.notes.update(getattr(table, "notes", {}))
    started = time.perf_counter()
    plan = plan_for(job, table, options)
    if plan.crs.name != "wgs84":
        report.notes["coordinates"] = f"read as {plan.crs.name}, converted to WGS84 (EPSG:4326)"

    stage = f"stage_{job.table}"
    staging.create_stage(
        conn,
        stage,
        plan.stage_columns,
        geometry=job.geometry is not None,
        geometry_sql=job.geometry_sql() if job.spatial_order else None,
    )
    progress = tqdm(
        total=table.total_rows,
        unit="rows",
        desc=f"load {kind}",
        disable=not _show_progress(options, table, settings),
        leave=False,
    )
    try:
        with staging.StageWriter(conn, stage) as writer:  # COPYs chunk n while chunk n+1 is validated
            for chunk in table.chunks(settings.chunk_rows):
                frame, geometry = _validate_chunk(job, plan, chunk, report, options)
                writer.put(frame, geometry)
                progress.update(len(chunk.frame))
    finally:
        progress.close()
    if plan.flattened:
        report.notes["3-D coordinates"] = f"Z dropped from {plan.flattened:,} rows (stored in 2-D)"
    _raise_if_unloadable(job, plan, report, table, options)
    staging.analyze(conn, stage)

    duplicates = staging.drop_duplicates(conn, stage, may_repeat=writer.may_repeat)
    report.duplicates = len(duplicates)
    if duplicates:
        shown = ", ".join(f"{sid!r} (row {row})" for row, sid in duplicates[:5])
        report.warnings.append(
            f"{len(duplicates)} rows repeat an id that a later row has too; the later row "
            f"wins: {shown}{' …' if len(duplicates) > 5 else ''}"
        )
    job.resolve(conn, stage, report, options)
    job.check(conn, stage, report, options, settings)
    _raise_if_all_rejected(report, table, options)
    _raise_if_strict(report, table, options)
    staged = staging.stage_count(conn, stage)
    # Buildings get their grid and units here, so that the upsert writes each row once.
    units = stage_units(conn, stage, job.table, geometry_sql=job.geometry_sql()) if options.assign else None
    # Changed rows bump ``data_versions`` by trigger (migration 0007), whoever writes them. A large
    # load into a nearly empty table writes in bulk (etl.bulk), with the same outcome.
    if job.bulk and bulk.worthwhile(conn, job.table, staged, settings):
        report.inserted, report.updated = bulk.store(
            conn,
            stage,
            job.table,
            job.target_columns,
            source=plan.source,
            geometry_sql=job.geometry_sql(),
            derived=units,
            spatial_order=job.spatial_order,
            settings=settings,
        )
    else:
        report.inserted, report.updated = job.store(
            conn, stage, report, options, source=plan.source, derived=units
        )
    report.unchanged = staged - report.inserted - report.updated
    job.after_load(conn, stage, report, options)
    if job.table in _SPATIAL_FRAME_TABLES:
        report.notes["qa"] = ", ".join(f"{k} {v:,}" for k, v in qa_summary(conn, settings=settings).items())
    report.seconds = time.perf_counter() - started
    _finish(report, table, options)
    _log_summary(report)
    return report


def _log_summary(report: LoadReport) -> None:
    """One line per load: what, which file (its name, not its folder), how many rows, how long."""
    fields = {
        "kind": report.kind,
        "file": Path(report.path).name,
        "rows_read": report.rows_read,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "repaired": report.repaired,
        "duplicates": report.duplicates,
        "rejected": report.rejected,
        "seconds": round(report.seconds, 2),
    }
    logger.info(
        "load %(kind)s %(file)s: read %(rows_read)s, new %(inserted)s, updated %(updated)s, "
        "unchanged %(unchanged)s, repaired %(repaired)s, duplicates %(duplicates)s, "
        "rejected %(rejected)s in %(seconds)ss",
        fields,
        extra={"load": fields},
    )


def _validate_chunk(
    job: Job, plan: Plan, chunk: Chunk, report: LoadReport, options: LoadOptions
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Parse, check and identify one chunk; return the rows to stage and their geometries."""
    rows = chunk.frame.index
    report.rows_read += len(rows)
    rejected: set[int] = set()
    for issue in chunk.issues:
        report.rejects.append(issue)
        rejected.add(issue.row)

    parsed = pd.DataFrame(index=rows)
    for f in job.fields:
        column = plan.columns.get(f.name)
        values = chunk.frame[column].tolist() if column is not None else [None] * len(rows)
        # A field the file has no column for: one empty cell, parsed once, stands for all.
        out, failed = (
            _parse_values(f.parse, values) if column is not None else _parse_empty(f.parse, len(rows))
        )
        for i, reason in failed:
            report.reject(int(rows[i]), column or f.name, _shown(f, values[i]), reason)
            rejected.add(int(rows[i]))
        parsed[f.name] = pd.Series(out, index=rows, dtype=object)
    parsed = job.derive(parsed, options)
    for f in job.fields:
        if f.sql_type in _INTEGER_TYPES:
            parsed[f.name] = pd.to_numeric(parsed[f.name]).astype("Int64")
    for f in job.fields:
        if not f.required:
            continue
        column = plan.columns.get(f.name)
        for row in rows[parsed[f.name].isna().to_numpy() & ~rows.isin(list(rejected))]:
            value = chunk.frame.at[row, column] if column is not None else None
            report.reject(int(row), column or f.name, _shown(f, value), "required value is missing")
            rejected.add(int(row))
    for f in job.fields:
        if f.name not in plan.text_limits or f.name not in parsed:
            continue
        limit, where = plan.text_limits[f.name]
        for problem in check_cells(parsed[f.name].tolist(), limit=limit, where=where):
            row = int(rows[problem.position])
            if row not in rejected:
                column = plan.columns.get(f.name) or f.name
                report.reject(row, column, _shown(f, parsed[f.name].iloc[problem.position]), problem.reason)
                rejected.add(row)

    geometry = None
    if plan.has_geometry:
        geometry, issues = _geometry_of(chunk, plan)
        for issue in issues:
            report.rejects.append(issue)
            rejected.add(issue.row)
        check = check_geometries(
            geometry,
            rows,
            expected=job.geometry or (),
            crs=plan.crs,
            area=options.area,
            field_name=_geometry_field(plan),
        )
        for issue in check.rejects:
            report.rejects.append(issue)
            rejected.add(issue.row)
        if job.geometry_required:
            for row in rows[pd.isna(check.geometry) & ~rows.isin(list(rejected))]:
                report.reject(int(row), "geometry", "null", "the feature has no geometry")
                rejected.add(int(row))
        plan.swapped += check.swapped
        plan.wrong_type += check.wrong_type
        plan.flattened += check.flattened
        plan.found_types |= check.found_types
        repaired = (check.repaired | chunk.repaired) - rejected
        report.repaired += len(repaired)
        geometry = check.geometry
    elif chunk.repaired:
        report.repaired += len(chunk.repaired - rejected)

    source_ids = _source_ids(job, plan, chunk.frame, parsed, geometry)
    if plan.id_column is not None:
        where = f"{job.table}.source_id"
        for problem in check_cells(source_ids, limit=plan.source_id_limit, where=where):
            row = int(rows[problem.position])
            if row not in rejected:
                report.reject(row, plan.id_column, printable(source_ids[problem.position]), problem.reason)
                rejected.add(row)
    keep = ~rows.isin(list(rejected))
    parsed.insert(0, "source_id", source_ids)
    parsed.insert(0, "row_no", list(rows))
    frame = parsed[keep]
    return frame, (geometry[keep] if geometry is not None else None)


def _shown(f: Field, value: object) -> object:
    """A cell as a reject may show it: personal fields masked, NUL bytes made visible."""
    return masked(value) if f.personal else printable(value)


def _parse_values(parse: Parser, values: list[object]) -> tuple[list[object], list[tuple[int, str]]]:
    """Each cell parsed (None where it fails), and (position, reason) of the cells that fail.

    Parsers are pure functions of a cell, and cells repeat (a kind, a date, an empty cell), so
    each distinct cell is parsed once.
    """
    keys = _cell_keys(values)
    parsed = {key: _parse_one(parse, value) for key, value in dict(zip(keys, values, strict=True)).items()}
    out = [parsed[key] for key in keys]
    failed = [(i, r.reason) for i, r in enumerate(out) if r.__class__ is _Failed]
    for i, _ in failed:
        out[i] = None
    return out, failed


def _parse_empty(parse: Parser, n: int) -> tuple[list[object], list[tuple[int, str]]]:
    """``_parse_values`` of ``n`` empty cells (None), with the parser called once."""
    result = _parse_one(parse, None)
    if isinstance(result, _Failed):
        return [None] * n, [(i, result.reason) for i in range(n)]
    return [result] * n, []


def _cell_keys(values: list[object]) -> list[object]:
    """Keys equal exactly when two cells are the same: same type and value.

    Text, None and one kind of number never compare equal across kinds, so such a column is
    its own key (the usual case, and the fast one). Otherwise (type, value) with a float known
    by its bits (-0.0 == 0.0) and any type but the plain ones by identity.
    """
    numbers = set(map(type, values)) - {str, type(None)}
    if not numbers or numbers == {int} or (numbers == {float} and 0.0 not in values):
        return values
    return [
        # c is float means v is a float; a type checker narrows by isinstance only, hence the cast
        (c, v)
        if (c := v.__class__) in _PLAIN_CELLS
        else (c, cast(float, v).hex())
        if c is float
        else (c, id(v))
        for v in values
    ]


_PLAIN_CELLS = frozenset({str, int, bool, type(None)})


@dataclass(frozen=True)
class _Failed:
    reason: str


def _parse_one(parse: Parser, value: object) -> object:
    try:
        return parse(value)
    except ValueError as exc:
        return _Failed(str(exc))


def _geometry_field(plan: Plan) -> str:
    """What a geometry reject names as its field: the WKT or lon/lat columns of a table."""
    if plan.coordinates is None:
        return "geometry"
    if plan.coordinates.wkt:
        return plan.coordinates.wkt
    return f"{plan.coordinates.lon}/{plan.coordinates.lat}"


def _geometry_of(chunk: Chunk, plan: Plan) -> tuple[np.ndarray, list]:
    if chunk.geometry is not None:
        return chunk.geometry, []
    assert plan.coordinates is not None
    if plan.coordinates.wkt:
        return geometries_from_wkt(chunk.frame[plan.coordinates.wkt], chunk.frame.index)
    return points_from_columns(
        chunk.frame[plan.coordinates.lon], chunk.frame[plan.coordinates.lat], chunk.frame.index
    )


def _source_ids(
    job: Job, plan: Plan, raw: pd.DataFrame, parsed: pd.DataFrame, geometry: np.ndarray | None
) -> list[str]:
    """The id column when there is one; else a digest of the identifying fields and the geometry
    (stable across loads of the same content)."""
    if plan.id_column is not None:
        values = raw[plan.id_column]
        return ["" if v is None else str(v).strip() for v in values]
    names = [n for n in (job.identity or tuple(f.name for f in job.fields)) if n in parsed]
    # The bytes of each geometry as stored, so that a Polygon and its one-part MultiPolygon agree.
    shapes = (
        stored_wkb(geometry, job.geometry or ()) if geometry is not None and job.geometry_required else None
    )
    # Column by column (the values itertuples would give), then joined row by row.
    texts = [["" if v is None else str(v) for v in parsed[n]] for n in names]
    keys = ["\x1f".join(values) for values in zip(*texts, strict=True)] if names else [""] * len(parsed)
    ids: list[str] = []
    seen = plan.seen
    for i, key in enumerate(keys):
        if shapes is not None and shapes[i] is not None:
            key += "\x1f" + shapes[i].hex()
        digest = hashlib.blake2b(key.encode(), digest_size=10).hexdigest()
        if job.keep_repeats:
            n = seen.get(digest, 0)
            seen[digest] = n + 1
            digest = f"{digest}-{n}" if n else digest
        ids.append(f"{job.kind}:{digest}")
    return ids


def _raise_if_unloadable(
    job: Job, plan: Plan, report: LoadReport, table: SourceTable, options: LoadOptions
) -> None:
    """Whole-file failures: wrong geometry type throughout, axes swapped throughout, nothing loadable."""
    path = table.path
    if report.rows_read == 0:
        raise InputError(path, "the file has no rows")
    if plan.has_geometry and plan.wrong_type == report.rows_read:
        raise InputError(
            path,
            f"{job.kind} need {' or '.join(job.geometry or ())} geometries, but all "
            f"{report.rows_read} rows are {', '.join(sorted(plan.found_types))}",
            field="geometry",
            fix=f"is this the right file for `battlemap load {job.kind}`?",
        )
    if plan.swapped * 2 > report.rows_read:
        lon, lat = (plan.coordinates.lon, plan.coordinates.lat) if plan.coordinates else ("lon", "lat")
        fix = (
            f"pass --lon-col {lat} --lat-col {lon}"
            if plan.coordinates and plan.coordinates.lon
            else "exchange x and y in the file"
        )
        _write_rejects(report, table, options)
        raise InputError(
            path,
            f"longitude and latitude look swapped in {plan.swapped} of {report.rows_read} rows",
            field=lon,
            fix=fix,
        )
    _raise_if_all_rejected(report, table, options)


def _raise_if_all_rejected(report: LoadReport, table: SourceTable, options: LoadOptions) -> None:
    """A file none of whose rows survive (reading, or resolving references) is an error, not a no-op."""
    if report.rows_read and report.rejected >= report.rows_read:
        first = min(report.rejects, key=lambda r: (r.row, r.field))
        _write_rejects(report, table, options)
        raise InputError(
            table.path,
            f"none of the {report.rows_read} rows can be loaded; first problem: {first.reason}",
            row=first.row,
            field=first.field,
            value=first.value or None,
            fix=f"see {report.rejects_path}",
        )


def _finish(report: LoadReport, table: SourceTable, options: LoadOptions) -> None:
    _write_rejects(report, table, options)
    _raise_if_strict(report, table, options)


def _raise_if_strict(report: LoadReport, table: SourceTable, options: LoadOptions) -> None:
    """``--strict``: any reject stops the load before the upsert writes anything."""
    if options.strict and report.rejects:
        _write_rejects(report, table, options)
        first = min(report.rejects, key=lambda r: (r.row, r.field))
        raise RejectLimitExceeded(
            table.path,
            f"{report.rejected} rows rejected and --strict was given; nothing was loaded",
            row=first.row,
            field=first.field,
            fix=f"see {report.rejects_path}",
        )


def _write_rejects(report: LoadReport, table: SourceTable, options: LoadOptions) -> None:
    """Write the rejects CSV once, beside the input or where --rejects says."""
    if not report.rejects or report.rejects_path:
        return
    target = options.rejects_path or default_rejects_path(Path(table.path))
    write_rejects(Path(target), report.rejects)
    report.rejects_path = str(target)


def _show_progress(options: LoadOptions, table: SourceTable, settings: EtlSettings) -> bool:
    """A progress bar on long files only (and never when the caller said no)."""
    if options.progress is not None:
        return options.progress
    return table.total_rows is None or table.total_rows >= settings.progress_min_rows
