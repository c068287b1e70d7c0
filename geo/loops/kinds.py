"""Loop kinds as data: one YAML file per kind in ``geo/loops/kinds/`` (home isolation, inspection,
problem reports), validated once with pydantic; a bad file stops with a ``ConfigError`` naming it.

A kind lists its steps in order. Each step names the chain level that answers for it (the item is
assigned to whoever answers for its building at that level, ``geo.responsibility``) and optionally a
department, its SLA (``due_h`` hours after the previous step, or ``daily``: one record per China day
for as long as the item is open), the evidence that completes it (a note, a reading within a range,
checkboxes that must be ticked, an optional photo) and who may complete it (roles, and a step whose
completer must be someone else: the verifier is not the rectifier). Adding a kind is one more file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from geo.errors import ConfigError, NotFound
from geo.vocab import CHAIN_LEVEL_CODES

KINDS_DIR = Path(__file__).resolve().parent / "kinds"
TARGET_TYPES: tuple[str, ...] = ("household", "building", "compound", "place")
FIELD_ROLES: tuple[str, ...] = ("commander", "operator", "worker")
"""Roles that may complete steps unless a step says otherwise."""
_CODE = r"^[a-z][a-z0-9_]{0,39}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Named(_Strict):
    """Something the UI names in its languages: zh and en always, ja and ko where given (the shipped
    kinds give them; a kind file of one's own may leave them out and reads in English there)."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    ja: str = ""
    ko: str = ""

    def name(self, lang: str) -> str:
        """The words in ``lang`` (zh, en, ja, ko); English where the language is missing."""
        return self.zh if lang == "zh" else str(getattr(self, lang, "") or self.en)


class Words(_Named):
    pass


class Reading(_Strict):
    """A measured value the step records (e.g. a temperature), refused outside ``[min, max]``."""

    name: str = Field(pattern=_CODE)
    unit: str = ""
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Reading:
        if self.min >= self.max:
            raise ValueError(f"reading {self.name}: min {self.min} must be below max {self.max}")
        return self


class Evidence(_Strict):
    """What closes a step: a note, a reading, ticked checkboxes and/or a photo."""

    note: Literal["required", "optional"] = "optional"
    reading: Reading | None = None
    checks: tuple[str, ...] = ()
    """Checkbox codes that must all be ticked (``true``) to complete the step."""
    photo: Literal["required", "optional", "none"] = "optional"


class Guide(_Strict):
    """The step's line of the 居家隔离索引图: what to do, requirements, protection standard, notes."""

    do: Words
    requirements: Words | None = None
    protection: Words | None = None
    notes: Words | None = None


class Step(_Named):
    code: str = Field(pattern=_CODE)
    level: str
    """The chain level that answers for the step (``geo.vocab.CHAIN_LEVEL_CODES``)."""
    department: Words | None = None
    due_h: float = Field(default=24.0, gt=0, le=24 * 60)
    """Hours after the previous step (or the opening) by which it is due; for a daily step, the first
    record's deadline."""
    daily: bool = False
    """Recorded once per China day while the item is open; the steps after it may start after its first."""
    evidence: Evidence = Field(default_factory=Evidence)
    roles: tuple[str, ...] = FIELD_ROLES
    differs_from: str | None = None
    """A step whose completer may not complete this one (the verifier differs from the rectifier)."""
    guide: Guide | None = None

    @model_validator(mode="after")
    def _known(self) -> Step:
        if self.level not in CHAIN_LEVEL_CODES:
            raise ValueError(
                f"step {self.code}: level {self.level!r} is not one of {', '.join(CHAIN_LEVEL_CODES)}"
            )
        unknown = set(self.roles) - set(FIELD_ROLES)
        if unknown:
            raise ValueError(f"step {self.code}: roles {sorted(unknown)} may not act; use {FIELD_ROLES}")
        return self


class LoopKind(_Named):
    code: str = Field(pattern=_CODE)
    targets: tuple[Literal["household", "building", "compound", "place"], ...] = Field(min_length=1)
    opening: Words
    """What opening an item means (排查发现 / 上报), shown as the log's first line."""
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> LoopKind:
        codes = [s.code for s in self.steps]
        if len(set(codes)) != len(codes):
            raise ValueError(f"kind {self.code}: step codes repeat: {codes}")
        for at, step in enumerate(self.steps):
            if step.differs_from is not None and step.differs_from not in codes[:at]:
                raise ValueError(f"step {step.code}: differs_from {step.differs_from!r} is no earlier step")
        if self.steps[-1].daily:
            raise ValueError(f"kind {self.code}: the last step closes the item and cannot be daily")
        return self

    def step(self, code: str) -> Step:
        """The step ``code``; NotFound naming the kind's steps otherwise."""
        for step in self.steps:
            if step.code == code:
                return step
        raise NotFound(f"step {code!r} is not a step of {self.code}: expected one of {self.step_codes}")

    @property
    def step_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.steps)


def load_kind(path: Path) -> LoopKind:
    """One kind from its YAML file; the file's stem must be its code.

    Raises
    ------
    ConfigError
        naming the file and each problem (field path and reason).
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read the loop kind: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a loop kind must be a mapping with code, steps, …")
    try:
        kind = LoopKind.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"{path}: invalid loop kind: {problems}") from None
    if kind.code != path.stem:
        raise ConfigError(f"{path}: code {kind.code!r} must equal the file name {path.stem!r}")
    return kind


def load_kinds(directory: Path = KINDS_DIR) -> dict[str, LoopKind]:
    """Every ``*.yaml`` kind in ``directory``, by code."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError(f"{directory}: no loop kinds (*.yaml) found")
    return {kind.code: kind for kind in map(load_kind, files)}


@cache
def default_kinds() -> dict[str, LoopKind]:
    """The kinds that ship with battlemap (read once per process)."""
    return load_kinds(KINDS_DIR)


def kind_named(code: str, kinds: dict[str, LoopKind] | None = None) -> LoopKind:
    """The kind ``code``; NotFound naming the known kinds otherwise."""
    kinds = default_kinds() if kinds is None else kinds
    if code not in kinds:
        raise NotFound(f"loop kind {code!r} is unknown: expected one of {', '.join(sorted(kinds))}")
    return kinds[code]
