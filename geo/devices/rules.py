"""The alert rules of home-isolation devices as data (``defaults/rules.yaml``, or the file of
``BATTLEMAP_MQTT_RULES_PATH``), validated once; a bad file stops with a ``ConfigError`` naming it."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from geo.errors import ConfigError
from geo.vocab import CHINA_TZ, STATUS_CODES

DEFAULT_RULES = Path(__file__).resolve().parent / "defaults" / "rules.yaml"
ALERT_KINDS: tuple[str, ...] = ("fever", "missed_reading", "door", "offline", "battery")
ALERT_LOOP_KIND = "isolation_alert"
"""The loop kind (geo/loops/kinds/isolation_alert.yaml) whose items the alerts are."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fever(_Strict):
    min_c: float = Field(default=37.3, ge=35, le=42)


class MissedReading(_Strict):
    interval_h: float = Field(default=4, gt=0, le=24)
    missed: int = Field(default=2, ge=1, le=24)

    @property
    def after(self) -> dt.timedelta:
        """How long without a temperature makes the alert."""
        return dt.timedelta(hours=self.interval_h * self.missed)


class Door(_Strict):
    allowed_windows: tuple[str, ...] = ()
    open_max_min: float = Field(default=10, gt=0)
    resolve_within_min: float = Field(default=5, ge=0)

    @field_validator("allowed_windows")
    @classmethod
    def _windows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for window in value:
            _window(window)
        return value

    def allowed_at(self, moment: dt.datetime) -> bool:
        """Whether a door may open at ``moment`` (China time of day inside an allowed window)."""
        local = moment.astimezone(CHINA_TZ).time()
        return any(start <= local < end for start, end in map(_window, self.allowed_windows))


def _window(text: str) -> tuple[dt.time, dt.time]:
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"window {text!r} must read HH:MM-HH:MM") from None
    if start >= end:
        raise ValueError(f"window {text!r} must end after it starts")
    return start, end


class Offline(_Strict):
    heartbeat_h: float = Field(default=6, gt=0)


class Battery(_Strict):
    low_pct: float = Field(default=20, ge=0, le=100)


class Rules(_Strict):
    monitored_statuses: tuple[str, ...] = ("home_isolation",)
    fever: Fever = Field(default_factory=Fever)
    missed_reading: MissedReading = Field(default_factory=MissedReading)
    door: Door = Field(default_factory=Door)
    offline: Offline = Field(default_factory=Offline)
    battery: Battery = Field(default_factory=Battery)

    @field_validator("monitored_statuses")
    @classmethod
    def _statuses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(STATUS_CODES))
        if unknown or not value:
            raise ValueError(f"statuses {unknown} are not house statuses: expected some of {STATUS_CODES}")
        return value


def load_rules(path: Path | None = None) -> Rules:
    """The rules in ``path`` (default: the shipped ``defaults/rules.yaml``).

    Raises
    ------
    ConfigError
        naming the file and each problem (field path and reason).
    """
    path = path or DEFAULT_RULES
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read the device rules: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: device rules must be a mapping (fever, door, offline, …)")
    try:
        return Rules.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"{path}: invalid device rules: {problems}") from None


@cache
def default_rules() -> Rules:
    return load_rules(DEFAULT_RULES)
