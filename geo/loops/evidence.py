"""What a field client sends to complete a step, checked against the step's ``evidence`` before
anything is written: each refusal is an ``Unprocessable`` naming the field to fix."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from dataclasses import dataclass, field

from geo.errors import Unprocessable
from geo.loops.kinds import Step

PHOTO_TYPES: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp")
NOTE_MAX_CHARS = 2000
CLOCK_SKEW = dt.timedelta(minutes=10)
"""How far in the future a client's ``observed_at`` may lie (phones' clocks drift)."""


@dataclass(frozen=True)
class Photo:
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Submission:
    """A step's evidence as sent: note, reading, ticked checks, photo, the time it was done."""

    note: str | None = None
    reading: float | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    photo: Photo | None = None
    observed_at: dt.datetime | None = None


def decode_photo(content_type: str, data_base64: str, *, max_bytes: int) -> Photo:
    """A photo from its base64 text, refused when of another type, not base64, or over ``max_bytes``."""
    if content_type not in PHOTO_TYPES:
        raise Unprocessable(
            f"photo.content_type was {content_type!r} but is expected to be one of {', '.join(PHOTO_TYPES)}",
            field="photo.content_type",
        )
    if len(data_base64) > (max_bytes * 4) // 3 + 8:
        raise Unprocessable(_too_big(max_bytes), field="photo.data_base64")
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Unprocessable("photo.data_base64 is not valid base64", field="photo.data_base64") from None
    if not data:
        raise Unprocessable("photo.data_base64 is empty", field="photo.data_base64")
    if len(data) > max_bytes:
        raise Unprocessable(_too_big(max_bytes), field="photo.data_base64")
    return Photo(content_type, data)


def _too_big(max_bytes: int) -> str:
    return f"the photo is larger than {max_bytes} bytes (BATTLEMAP_LOOPS_PHOTO_MAX_BYTES): send a smaller one"


def check_submission(step: Step, sent: Submission, *, opened_at: dt.datetime, at: dt.datetime) -> None:
    """Raise ``Unprocessable`` naming the field unless ``sent`` is what ``step`` needs."""
    evidence = step.evidence
    note = (sent.note or "").strip()
    if evidence.note == "required" and not note:
        raise Unprocessable(f"step {step.code} needs a note: send `note`", field="note")
    if len(note) > NOTE_MAX_CHARS:
        raise Unprocessable(f"`note` is longer than {NOTE_MAX_CHARS} characters", field="note")
    _check_reading(step, sent.reading)
    unknown = sorted(set(sent.checks) - set(evidence.checks))
    if unknown:
        expected = ", ".join(evidence.checks) or "none"
        raise Unprocessable(
            f"checks {unknown} are not checks of step {step.code} (expected: {expected})", field="checks"
        )
    missing = [c for c in evidence.checks if sent.checks.get(c) is not True]
    if missing:
        raise Unprocessable(f"step {step.code} needs checks {missing} ticked (true)", field="checks")
    if evidence.photo == "none" and sent.photo is not None:
        raise Unprocessable(f"step {step.code} takes no photo", field="photo")
    if evidence.photo == "required" and sent.photo is None:
        raise Unprocessable(f"step {step.code} needs a photo: send `photo`", field="photo")
    if sent.observed_at is not None:
        if sent.observed_at.tzinfo is None:
            raise Unprocessable("`observed_at` needs a time zone (e.g. +08:00)", field="observed_at")
        if sent.observed_at > at + CLOCK_SKEW:
            raise Unprocessable("`observed_at` lies in the future", field="observed_at")
        if sent.observed_at < opened_at - CLOCK_SKEW:
            raise Unprocessable("`observed_at` lies before the item was opened", field="observed_at")


def _check_reading(step: Step, reading: float | None) -> None:
    expected = step.evidence.reading
    if expected is None:
        if reading is not None:
            raise Unprocessable(f"step {step.code} takes no reading", field="reading")
        return
    if reading is None:
        raise Unprocessable(
            f"step {step.code} needs `reading` ({expected.name}, {expected.unit})".replace(", )", ")"),
            field="reading",
        )
    if not math.isfinite(reading) or not expected.min <= reading <= expected.max:
        raise Unprocessable(
            f"`reading` was {reading} but {expected.name} is expected within "
            f"{expected.min}..{expected.max} {expected.unit}".rstrip(),
            field="reading",
        )
