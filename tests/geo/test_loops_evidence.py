"""A step's evidence is checked before anything is written; each refusal names the field to fix."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from geo.errors import Unprocessable
from geo.loops.evidence import Submission, check_submission, decode_photo
from geo.loops.kinds import kind_named
from geo.vocab import CHINA_TZ

AT = dt.datetime(2022, 4, 5, 9, tzinfo=CHINA_TZ)
OPENED = AT - dt.timedelta(days=1)
HOME = kind_named("home_isolation")


def _refused(step: str, sent: Submission) -> str | None:
    with pytest.raises(Unprocessable) as error:
        check_submission(HOME.step(step), sent, opened_at=OPENED, at=AT)
    return error.value.field


@pytest.mark.parametrize(
    ("step", "sent", "field"),
    [
        ("screening", Submission(), "note"),
        ("screening", Submission(note="x" * 2001), "note"),
        ("daily_temperature", Submission(), "reading"),
        ("daily_temperature", Submission(reading=80.0), "reading"),
        ("daily_temperature", Submission(reading=float("nan")), "reading"),
        ("screening", Submission(note="ok", reading=36.6), "reading"),
        ("on_site_confirmation", Submission(note="ok", checks={"at_home": True}), "checks"),
        (
            "on_site_confirmation",
            Submission(note="ok", checks={"at_home": True, "notice_posted": False}),
            "checks",
        ),
        ("screening", Submission(note="ok", checks={"door": True}), "checks"),
        (
            "daily_temperature",
            Submission(reading=36.6, observed_at=AT + dt.timedelta(hours=1)),
            "observed_at",
        ),
        (
            "daily_temperature",
            Submission(reading=36.6, observed_at=OPENED - dt.timedelta(hours=1)),
            "observed_at",
        ),
        (
            "daily_temperature",
            Submission(reading=36.6, observed_at=dt.datetime(2022, 4, 5, 8)),
            "observed_at",
        ),
    ],
)
def test_refusals_name_the_field(step: str, sent: Submission, field: str) -> None:
    assert _refused(step, sent) == field


def test_good_evidence_passes() -> None:
    check_submission(HOME.step("daily_temperature"), Submission(reading=37.2), opened_at=OPENED, at=AT)


@pytest.mark.parametrize(
    ("content_type", "data", "field"),
    [
        ("image/gif", base64.b64encode(b"gif").decode(), "photo.content_type"),
        ("image/png", "not base64!", "photo.data_base64"),
        ("image/png", base64.b64encode(b"x" * 1001).decode(), "photo.data_base64"),
    ],
)
def test_photos_are_capped_and_typed(content_type: str, data: str, field: str) -> None:
    with pytest.raises(Unprocessable) as error:
        decode_photo(content_type, data, max_bytes=1000)
    assert error.value.field == field


def test_a_photo_within_the_cap_decodes() -> None:
    photo = decode_photo("image/jpeg", base64.b64encode(b"\xff\xd8ok").decode(), max_bytes=1000)
    assert photo.data == b"\xff\xd8ok"
