"""The report of ``python -m bench.city``: sizes parsed, tile latencies cut into zoom bands, growth
ratios between sizes, and the figures growing faster than the city named in the closing note."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench.city import (
    SizeReport,
    band_figures,
    closing_note,
    earlier,
    growth,
    growth_table,
    parse_sizes,
    saved,
    size_table,
)


def _report(buildings: int, **values: tuple[float, float | None]) -> SizeReport:
    report = SizeReport(buildings, households=buildings * 2, status_rows=buildings // 2)
    for name, (value, baseline) in values.items():
        report.add(name, value, baseline)
    return report


def test_sizes_are_parsed_and_checked() -> None:
    assert parse_sizes("100000,1_000_000") == [100_000, 1_000_000]
    for bad in ("1000000,100000", "100k", "0", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="--buildings was"):
            parse_sizes(bad)


def test_latencies_are_cut_into_the_zoom_bands() -> None:
    tiles = [(10, 0, 0), (12, 0, 0), (13, 0, 0), (15, 0, 0), (16, 0, 0), (17, 0, 0)]
    latencies = [0.010, 0.030, 0.020, 0.005, 0.007, 0.100]
    bands = band_figures(tiles, latencies)
    assert list(bands) == ["z10-12", "z13-14", "z15-17"]
    assert bands["z10-12"] == pytest.approx((20.0, 30.0))
    assert bands["z13-14"] == pytest.approx((20.0, 20.0))
    assert bands["z15-17"] == pytest.approx((7.0, 100.0))


def test_growth_names_what_grows_faster_than_the_city() -> None:
    small = _report(100_000, load=(10.0, 5.0), tile=(20.0, 40.0), kpis=(0.2, None))
    large = _report(1_000_000, load=(95.0, 50.0), tile=(22.0, 40.0), kpis=(4.0, None))
    rows = {name: (values, ratios, faster) for name, values, ratios, faster in growth([small, large])}
    assert rows["load"] == ([10.0, 95.0], [pytest.approx(9.5)], False)
    assert rows["tile"][2] is False
    assert rows["kpis"][1] == [pytest.approx(20.0)] and rows["kpis"][2] is True
    table = growth_table([small, large])
    assert "x10 size" in table and "x20.00" in table
    assert [line for line in table.splitlines() if "FASTER" in line] == [
        line for line in table.splitlines() if line.startswith("kpis")
    ]
    note = closing_note([small, large])
    assert "kpis" in note and "load" not in note


def test_one_size_prints_its_table_and_says_there_is_no_growth() -> None:
    report = _report(100_000, load=(10.0, 5.0))
    text = size_table(report)
    assert "100,000 buildings, 200,000 households, 50,000 status rows" in text
    assert "0.50" in text.splitlines()[-1]  # ogr2ogr's 5 s over our 10 s
    assert "one size only" in closing_note([report])


def test_an_earlier_run_joins_the_growth_table(tmp_path: Path) -> None:
    import json

    small = _report(100_000, load=(10.0, 5.0))
    path = tmp_path / "city.json"
    path.write_text(json.dumps([saved(small)]))
    (again,) = earlier(path)
    assert again.buildings == 100_000 and again.households == 200_000
    assert [(r.name, r.value, r.baseline) for r in again.rows] == [("load", 10.0, 5.0)]
    large = _report(1_000_000, load=(95.0, 50.0))
    assert "x9.50" in growth_table([again, large])
