"""The configurable rules of risk areas: how zones are drawn and the SOP clocks they run on (YAML).

The defaults ship in ``geo/risk/defaults/risk.yaml`` and ``geo/risk/defaults/sop.yaml``; a user file overrides
them key by key. Every distance is validated here once: positive and at most ``MAX_RADIUS_M``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from geo.errors import ConfigError

RULES_DIR = Path(__file__).resolve().parent / "defaults"
DEFAULT_RULES_PATH = RULES_DIR / "risk.yaml"
DEFAULT_SOP_PATH = RULES_DIR / "sop.yaml"
# Beyond this a "risk area" is a city-wide measure, not a zone: refuse it as a likely unit mistake (km vs m).
MAX_RADIUS_M = 50_000.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SealedRule(_Strict):
    """封控区: the case buildings, grown to their compound or lane."""

    snap_m: float = Field(default=30.0, gt=0, le=MAX_RADIUS_M)
    whole_compound: bool = True
    same_lane: bool = True


class ControlRule(_Strict):
    """管控区: buildings within ``radius_m`` of a case, and/or in the case's and the adjoining grids."""

    radius_m: float | None = Field(default=500.0, gt=0, le=MAX_RADIUS_M)
    adjoining_grids: bool = False


class PreventionRule(_Strict):
    """防范区: buildings within ``radius_m`` of a case, optionally only in the case's sub-district."""

    radius_m: float = Field(default=2000.0, gt=0, le=MAX_RADIUS_M)
    clip_to_subdistrict: bool = True


class RiskRules(_Strict):
    """The three zone rules; each zone holds only buildings not already in a stricter one."""

    sealed: SealedRule = SealedRule()
    control: ControlRule = ControlRule()
    prevention: PreventionRule = PreventionRule()

    @model_validator(mode="after")
    def _nested(self) -> RiskRules:
        if self.control.radius_m is not None and self.control.radius_m > self.prevention.radius_m:
            raise ValueError(
                f"control.radius_m ({self.control.radius_m:g}) must not exceed prevention.radius_m "
                f"({self.prevention.radius_m:g}): the control zone lies inside the prevention zone"
            )
        return self

    @property
    def reach_m(self) -> float:
        """The farthest any rule reaches from a case (by radius)."""
        return max(self.prevention.radius_m, self.control.radius_m or 0.0, self.sealed.snap_m)


class SopStep(_Strict):
    """One step of the response: due ``due_h`` hours after the declaration, again every ``every_h``."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str
    en: str
    ja: str = ""  # the UI's other languages; an SOP file of one's own may leave them out (English then)
    ko: str = ""
    due_h: float = Field(gt=0, le=24 * 60)
    every_h: float | None = Field(default=None, gt=0, le=24 * 60)


class SopLift(_Strict):
    quiet_days: int = Field(default=14, ge=1, le=365)


class Sop(_Strict):
    """The response SOP: its steps (codes unique) and when the area is lowered."""

    steps: tuple[SopStep, ...]
    lift: SopLift = SopLift()

    @model_validator(mode="after")
    def _unique(self) -> Sop:
        codes = [s.code for s in self.steps]
        if len(set(codes)) != len(codes):
            raise ValueError(f"SOP step codes must be unique, got {codes}")
        return self

    def step(self, code: str) -> SopStep:
        for s in self.steps:
            if s.code == code:
                return s
        raise KeyError(f"{code!r} is not a step of the SOP; steps are {[s.code for s in self.steps]}")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"rules file {path} does not exist; pass an existing YAML file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"rules file {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"rules file {path} must hold a mapping at the top, got {type(data).__name__}")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = (
            _merge(base[key], value) if isinstance(base.get(key), dict) and isinstance(value, dict) else value
        )
    return merged


def _validated(model: type[BaseModel], data: dict[str, Any], path: Path | str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']} (value {e.get('input')!r})"
            for e in exc.errors()
        )
        raise ConfigError(f"rules file {path}: {problems}") from None


@cache
def default_rules() -> RiskRules:
    """The shipped zone rules (geo/risk/defaults/risk.yaml)."""
    return _validated(RiskRules, _read_yaml(DEFAULT_RULES_PATH), DEFAULT_RULES_PATH)


def load_rules(path: Path | str | None = None, **overrides: Any) -> RiskRules:
    """Zone rules from ``path`` (keys missing there keep the shipped defaults), then ``overrides``.

    Raises
    ------
    ConfigError
        for a missing or malformed file, an unknown key, or a distance that is not positive or is
        above ``MAX_RADIUS_M``; the message names the file, the key and the value.
    """
    data = _read_yaml(DEFAULT_RULES_PATH)
    source: Path | str = DEFAULT_RULES_PATH
    if path is not None:
        data = _merge(data, _read_yaml(Path(path)))
        source = path
    if overrides:
        data = _merge(data, overrides)
    return _validated(RiskRules, data, source)


@cache
def default_sop() -> Sop:
    """The shipped SOP (geo/risk/defaults/sop.yaml)."""
    return _validated(Sop, _read_yaml(DEFAULT_SOP_PATH), DEFAULT_SOP_PATH)


def load_sop(path: Path | str | None = None) -> Sop:
    """The SOP in ``path`` (a whole file: steps replace the default steps), or the shipped one."""
    if path is None:
        return default_sop()
    return _validated(Sop, _read_yaml(Path(path)), path)
