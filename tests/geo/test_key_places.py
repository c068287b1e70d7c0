"""Key places (重点场所): street-front shops, office buildings, firms and key-industry sites with
their industry; a file of one kind loaded with --kind; counts per grid; bad kinds and industries
rejected per row."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, text

from cli.main import cli
from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.errors import InputError
from geo.places import places_by_grid
from tests.fixtures.small_city import SOUTH, STEP, WEST


def _load(conn: Connection, frame: pd.DataFrame, **options: object) -> pipeline.LoadReport:
    source = FrameSource(frame, name="places.test")
    return pipeline.load(conn, "places", source, options=LoadOptions(progress=False, **options))  # type: ignore[arg-type]


def _at(column: int, row: int) -> tuple[float, float]:
    return (WEST + (column + 0.5) * STEP, SOUTH + (row + 0.5) * STEP)


KEY_PLACES = pd.DataFrame(
    {
        "名称": ["陆家嘴餐厅", "东方商厦", "甲公司", "便民超市", "工地一号", "某店", "无名"],
        "类型": ["重点行业", "商务楼宇", "企业", "沿街商户", "key_industry", "沿街商户", "火箭发射场"],
        "行业": ["餐饮", None, None, None, "工地", "外星", None],
        "lon": [
            _at(0, 0)[0],
            _at(1, 1)[0],
            _at(0, 2)[0],
            _at(3, 0)[0],
            _at(2, 1)[0],
            _at(3, 2)[0],
            _at(0, 0)[0],
        ],
        "lat": [
            _at(0, 0)[1],
            _at(1, 1)[1],
            _at(0, 2)[1],
            _at(3, 0)[1],
            _at(2, 1)[1],
            _at(3, 2)[1],
            _at(0, 0)[1],
        ],
    }
)


def test_key_places_load_with_their_kind_and_industry(city_conn: Connection) -> None:
    report = _load(city_conn, KEY_PLACES)
    assert (report.inserted, report.rejected) == (5, 2)
    reasons = {r.field: r.reason for r in report.rejects}
    assert "street_shop, office_building, firm, key_industry" in reasons["类型"]
    assert reasons["行业"].startswith("expected one of catering, market")
    rows = dict(
        city_conn.execute(text("SELECT name, kind || coalesce('/' || subcategory, '') FROM places")).all()
    )
    assert (
        rows["陆家嘴餐厅"] == "key_industry/catering" and rows["工地一号"] == "key_industry/construction_site"
    )
    assert rows["东方商厦"] == "office_building" and rows["便民超市"] == "street_shop"


def test_places_count_per_grid(city_conn: Connection) -> None:
    _load(city_conn, KEY_PLACES)
    grids = {g.grid: g for g in places_by_grid(city_conn)}
    # G1 is the two western columns, G2 the two eastern ones (tests/fixtures/small_city.py)
    assert grids["G1"].by_kind == {"firm": 1, "key_industry": 1, "office_building": 1}
    assert grids["G1"].by_industry == {"catering": 1} and grids["G1"].key_places == 3
    assert grids["G2"].by_kind == {"key_industry": 1, "street_shop": 1}
    assert grids["G2"].by_industry == {"construction_site": 1}


def test_a_file_of_one_kind_loads_with_kind(city_conn: Connection) -> None:
    sites = pd.DataFrame(
        {"name": ["采样点A", "采样点B"], "lon": [_at(0, 0)[0]] * 2, "lat": [_at(0, 0)[1]] * 2}
    )
    report = _load(city_conn, sites, place_kind="sampling_site")
    assert (report.inserted, report.rejected) == (2, 0)
    kinds = (
        city_conn.execute(text("SELECT DISTINCT kind FROM places WHERE name LIKE '采样点%'")).scalars().all()
    )
    assert kinds == ["sampling_site"]


def test_without_kind_a_file_without_a_kind_column_is_refused(city_conn: Connection) -> None:
    sites = pd.DataFrame({"name": ["采样点A"], "lon": [_at(0, 0)[0]], "lat": [_at(0, 0)[1]]})
    with pytest.raises(InputError, match="field 'kind': none of the 1 rows can be loaded"):
        _load(city_conn, sites)


def test_an_unknown_kind_option_is_a_clear_cli_error() -> None:
    result = CliRunner().invoke(cli, ["load", "places", "nothing.csv", "--kind", "rocket_site"])
    assert result.exit_code == 2 and "--kind" in result.output and "expected one of" in result.output
