"""Loop kinds are YAML checked once: the three shipped kinds load, and a bad file names itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from geo.errors import ConfigError, NotFound
from geo.loops.kinds import default_kinds, kind_named, load_kind, load_kinds
from geo.loops.progress import Done, progress
from geo.vocab import CHINA_TZ

GOOD = """
code: night_patrol
zh: 夜间巡查
en: Night patrol
targets: [building]
opening: {zh: 开始, en: Started}
steps:
  - {code: walk, zh: 巡查, en: Walk, level: volunteer, due_h: 2}
  - {code: report, zh: 汇报, en: Report, level: social_worker, differs_from: walk}
"""


def test_the_kinds_ship() -> None:
    kinds = default_kinds()  # the three loops of issue 13 and the device alerts of issue 14
    assert set(kinds) == {"home_isolation", "inspection", "problem_report", "isolation_alert"}
    assert kinds["isolation_alert"].targets == ("household",)
    assert kinds["home_isolation"].step("daily_temperature").daily
    assert kinds["inspection"].step("verification").differs_from == "rectification"
    with pytest.raises(NotFound, match="expected one of"):
        kind_named("census")


def test_adding_a_kind_is_one_file(tmp_path: Path) -> None:
    (tmp_path / "night_patrol.yaml").write_text(GOOD, encoding="utf-8")
    assert load_kinds(tmp_path)["night_patrol"].step_codes == ("walk", "report")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("level: volunteer", "level: mayor"), "level 'mayor'"),
        (("due_h: 2", "due_h: -1"), "due_h"),
        (("differs_from: walk", "differs_from: report"), "no earlier step"),
        (("targets: [building]", "targets: [city]"), "targets"),
        (("code: walk,", "code: report,"), "repeat"),
        (("  - {code: walk", "  - {colour: red, code: walk"), "colour"),
    ],
)
def test_a_bad_kind_names_the_file_and_field(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "night_patrol.yaml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        load_kind(path)
    assert str(path) in str(error.value)


def test_a_daily_step_is_due_again_each_day() -> None:
    kind = kind_named("home_isolation")
    t0 = dt.datetime(2022, 4, 5, 22, 0, tzinfo=CHINA_TZ)
    done = [Done("screening", t0, None), Done("on_site_confirmation", t0, None)]
    first = progress(kind, t0, done)
    assert first.current.code == "daily_temperature" and first.due_at == t0 + dt.timedelta(hours=24)
    # a reading sent the next morning for the evening before counts for that evening's day
    sent, done_at = t0 + dt.timedelta(hours=10), t0 + dt.timedelta(hours=1)
    late = Done("daily_temperature", sent, None, observed_at=done_at)
    after = progress(kind, t0, [*done, late])
    assert after.days["daily_temperature"] == (dt.date(2022, 4, 5),)
    assert after.daily_due_at == dt.datetime(2022, 4, 7, tzinfo=CHINA_TZ)
