"""The service guide's rules on the small city: a compound is international when its share of
foreign-national households reaches ``BATTLEMAP_INTERNATIONAL_SHARE`` (counted from the flags, per
compound, within the user's scope); the notices files: every shipped language complete and alike, a
missing language or a malformed file a clear error naming the file and the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from geo.errors import ConfigError, InputError
from geo.scope import Scope
from geo.services.notices import SECTIONS, check_directory, load_notices, read_notices
from geo.services.read import compound_services, foreign_summary, service_points
from geo.settings import ServiceSettings
from tests.fixtures.small_city import SOUTH, WEST, small_city_database

SHIPPED = ServiceSettings(_env_file=None).notices_dir
_POINT = """
    INSERT INTO places (kind, name, languages, opening_hours, compound_id, geom, source, source_id)
    SELECT 'registration_point', '登记处', ARRAY['zh','ja'], '08:00-20:00', c.id,
           ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'test', 'reg-1'
    FROM compounds c"""


@pytest.fixture(scope="module")
def city_url(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "svcrules") as url:
        yield url


@pytest.fixture
def city(city_url: str) -> Iterator[Connection]:
    """The small city with 东方小区's b01 and b02 households foreign-national and a registration point."""
    engine = create_engine(city_url)
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            conn.execute(
                text("""UPDATE households SET foreign_national = true WHERE building_id IN
                        (SELECT id FROM buildings WHERE source_id IN ('b01', 'b02'))""")
            )
            conn.execute(text(_POINT), {"lon": WEST + 0.0002, "lat": SOUTH + 0.0002})
            yield conn
        finally:
            transaction.rollback()
    engine.dispose()


def _expected(conn: Connection) -> tuple[int, int]:
    foreign, households = conn.execute(
        text("""SELECT count(*) FILTER (WHERE h.foreign_national), count(*) FROM households h
                JOIN buildings b ON b.id = h.building_id WHERE b.compound_id IS NOT NULL""")
    ).one()
    return int(foreign), int(households)


@pytest.mark.parametrize("share", [0.2, 0.3, 0.34, 0.5])
def test_the_international_flag_follows_the_share_setting(city: Connection, share: float) -> None:
    assert _expected(city) == (6, 18)  # 2 of the compound's 6 buildings, 3 households each
    settings = ServiceSettings(_env_file=None, international_share=share)
    [compound] = compound_services(city, settings=settings)
    assert (compound.name, compound.foreign, compound.households) == ("东方小区", 6, 18)
    assert compound.international is (share <= 6 / 18)
    assert foreign_summary(city, settings=settings) == {
        "compounds_with_foreign": 1,
        "international": int(share <= 6 / 18),
        "foreign_households": 6,
    }


def test_the_share_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATTLEMAP_INTERNATIONAL_SHARE", "0.25")
    assert ServiceSettings(_env_file=None).international_share == 0.25
    monkeypatch.setenv("BATTLEMAP_INTERNATIONAL_SHARE", "1.5")
    with pytest.raises(ValueError, match="international_share"):
        ServiceSettings(_env_file=None)


def test_a_compound_without_enough_foreign_households_is_listed_only_for_its_point(city: Connection) -> None:
    city.execute(text("UPDATE households SET foreign_national = false"))
    [compound] = compound_services(city, settings=ServiceSettings(_env_file=None))
    assert (compound.international, compound.foreign, compound.languages) == (False, 0, ("zh", "ja"))
    city.execute(text("DELETE FROM places"))
    assert compound_services(city, settings=ServiceSettings(_env_file=None)) == []


def test_counts_and_points_keep_to_the_scope(city: Connection) -> None:
    nowhere = Scope(restricted=True)
    settings = ServiceSettings(_env_file=None)
    assert compound_services(city, settings=settings, scope=nowhere) == []
    assert service_points(city, scope=nowhere) == []
    assert foreign_summary(city, settings=settings, scope=nowhere)["foreign_households"] == 0


def test_every_shipped_language_has_the_same_complete_sections() -> None:
    found = {n.language: n for n in check_directory(SHIPPED)}
    assert {"zh", "en", "ja", "ko", "it"} <= set(found)
    for notices in found.values():
        assert tuple(notices.sections) == SECTIONS
        shape = [len(s.lines) for s in notices.sections.values()]
        assert shape == [len(s.lines) for s in found["zh"].sections.values()], notices.language


def test_a_missing_language_names_the_file_to_add() -> None:
    with pytest.raises(ConfigError, match=r"no notices in language 'fr': add .*fr\.yaml"):
        load_notices(SHIPPED, ["zh", "fr"])


def test_a_malformed_notices_file_names_file_and_field(tmp_path: Path) -> None:
    text_ = (SHIPPED / "ja.yaml").read_text(encoding="utf-8").replace("  title: 健康のためのお願い\n", "")
    (tmp_path / "ja.yaml").write_text(text_, encoding="utf-8")
    with pytest.raises(InputError, match=r"ja\.yaml, field 'health\.title': the section's title is missing"):
        read_notices(tmp_path / "ja.yaml")
    (tmp_path / "ko.yaml").write_text("language: ja\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ko\.yaml, field 'language': says language 'ja'"):
        read_notices(tmp_path / "ko.yaml")
