"""The typed request and response bodies of the REST API (``/api/v1``): the OpenAPI document at
``/api/v1/openapi.json`` is generated from these models (``dashboards._api``), and every request is
validated against them before a view runs. Ids, codes, levels, states and times only: no names,
phones or ID numbers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from geo.loops.kinds import default_kinds
from geo.vocab import STATUS_CODES

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
BigId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Note = Annotated[str, Field(max_length=2000, description="Free text; keep names and phones out of it.")]
TARGET_FIELDS = ("building_id", "household_id", "compound_id", "place_id")
if TYPE_CHECKING:
    KindCode = str
    StatusCode = str
else:
    KindCode = Literal[tuple(sorted(default_kinds()))]
    StatusCode = Literal[STATUS_CODES]
"""The loop kinds of ``geo/loops/kinds/`` (the document lists them; another file, another value)."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenItemBody(_Body):
    """Open a loop item: its kind, a note, and exactly one target (an id, or ``lon`` + ``lat``)."""

    kind: KindCode = Field(description="A loop kind (`GET /api/v1/loop-kinds`).", examples=["problem_report"])
    note: Note | None = None
    building_id: BigId | None = None
    household_id: BigId | None = None
    compound_id: Id | None = None
    place_id: Id | None = None
    lon: float | None = Field(default=None, ge=-180, le=180, description="WGS84 longitude (with `lat`).")
    lat: float | None = Field(default=None, ge=-90, le=90, description="WGS84 latitude (with `lon`).")

    @model_validator(mode="after")
    def _one_target(self) -> OpenItemBody:
        given = [name for name in TARGET_FIELDS if getattr(self, name) is not None]
        point = self.lon is not None or self.lat is not None
        if point and (self.lon is None or self.lat is None):
            raise ValueError("`lon` and `lat` go together: send both")
        if len(given) + point != 1:
            raise ValueError(f"send exactly one target: one of {', '.join(TARGET_FIELDS)}, or lon + lat")
        return self


class PhotoIn(_Body):
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    data_base64: str = Field(
        min_length=4, description="The image, base64; at most BATTLEMAP_LOOPS_PHOTO_MAX_BYTES."
    )


class StepBody(_Body):
    """The evidence that completes a step (what each step needs: `GET /api/v1/loop-kinds`)."""

    note: Note | None = None
    reading: float | None = Field(default=None, allow_inf_nan=False, description="e.g. a temperature in °C.")
    checks: dict[Annotated[str, Field(max_length=40)], bool] = Field(
        default_factory=dict, max_length=20, description="Checkboxes by code, e.g. door_sensor_fitted."
    )
    photo: PhotoIn | None = None
    observed_at: AwareDatetime | None = Field(
        default=None, description="When it was done, if earlier than sent (a phone that was offline)."
    )


class AssignBody(_Body):
    person_code: str = Field(min_length=1, max_length=60)
    level: str = Field(min_length=1, max_length=30, description="A chain level, e.g. social_worker.")


class WriteHeaders(BaseModel):
    """``Idempotency-Key``: a client-made id; a retry with it never acts twice. ``If-Match``: the
    version the client saw (the ``ETag``); a stale one answers 409 with the current item."""

    model_config = ConfigDict(populate_by_name=True)

    idempotency_key: str | None = Field(default=None, alias="Idempotency-Key", min_length=1, max_length=200)
    if_match: str | None = Field(
        default=None, alias="If-Match", max_length=40, pattern=r'^(W/)?"?[0-9]{1,9}"?$'
    )


class ListQuery(BaseModel):
    kind: KindCode | None = None
    state: Literal["open", "overdue", "closed"] | None = None
    grid: str | None = Field(default=None, max_length=100, description="A grid code of your area.")
    limit: int = Field(default=500, ge=1, le=10_000)


class TargetOut(BaseModel):
    type: Literal["household", "building", "compound", "place"]
    id: int


class AssigneeOut(BaseModel):
    code: str | None = Field(description="The person code of whoever answers (never a name).")
    level: str | None


class ItemOut(BaseModel):
    id: int
    kind: str
    target: TargetOut
    building_id: int
    grid: str | None
    lon: float | None
    lat: float | None
    state: Literal["open", "closed"]
    overdue: bool
    step: str | None = Field(description="The next step in order; null once closed.")
    allowed_steps: list[str]
    version: int = Field(description="Send it back as If-Match.")
    assignee: AssigneeOut
    due_at: dt.datetime | None
    daily_due_at: dt.datetime | None
    created_at: dt.datetime
    changed_at: dt.datetime
    source: str
    note: str | None


class ActorOut(BaseModel):
    user_id: int | None
    role: str | None


class LogEntryOut(BaseModel):
    seq: int
    at: dt.datetime
    observed_at: dt.datetime | None
    action: Literal["open", "complete", "escalate", "assign"]
    step: str | None
    to_state: Literal["open", "closed"]
    next_step: str | None
    assignee: AssigneeOut
    due_at: dt.datetime | None
    note: str | None
    reading: float | None
    checks: dict[str, bool] | None
    by: ActorOut
    photos: int


class ItemDetailOut(ItemOut):
    log: list[LogEntryOut]


class ItemListOut(BaseModel):
    at: dt.datetime
    count: int
    items: list[ItemOut]


class CountOut(BaseModel):
    kind: str
    grid: str | None
    open: int
    overdue: int
    closed_today: int


class CountsOut(BaseModel):
    at: dt.datetime
    counts: list[CountOut]


class WordsOut(BaseModel):
    zh: str
    en: str
    ja: str = ""
    ko: str = ""


class StepOut(BaseModel):
    code: str
    zh: str
    en: str
    ja: str = ""
    ko: str = ""
    level: str
    department: WordsOut | None
    due_h: float
    daily: bool
    evidence: dict
    differs_from: str | None
    guide: dict | None


class KindOut(BaseModel):
    code: str
    zh: str
    en: str
    ja: str = ""
    ko: str = ""
    targets: list[str]
    steps: list[StepOut]


class KindsOut(BaseModel):
    kinds: list[KindOut]


class FieldStatusBody(_Body):
    """A household's status from the field; ``valid_from`` defaults to today (China time)."""

    status: StatusCode = Field(description="A house status code, e.g. home_isolation.")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = Field(default=None, description="The end, if known (exclusive).")


class FieldStatusOut(BaseModel):
    household_id: int
    building_id: int
    status: str
    valid_from: dt.date
    valid_to: dt.date | None
    source: Literal["field"]
    inserted: int
    corrected: int
    unchanged: int


class ErrorOut(BaseModel):
    """Every error: ``error`` says what and how to fix it; ``field`` names the input to fix; a 409
    names the ``allowed_steps`` or carries the ``current`` item."""

    status: Literal["error"]
    error: str
    request_id: str | None = None
    field: str | None = None
    allowed_steps: list[str] | None = None
    current: ItemOut | None = None


class PlacesQuery(BaseModel):
    buildings: str | None = Field(
        default=None, max_length=4000, pattern=r"^[0-9]{1,18}(,[0-9]{1,18}){0,499}$",
        description="Building ids, comma-separated (an item's `building_id`).",
    )  # fmt: skip
    households: str | None = Field(
        default=None, max_length=4000, pattern=r"^[0-9]{1,18}(,[0-9]{1,18}){0,499}$",
        description="Household ids, comma-separated (an item's household target).",
    )  # fmt: skip


class BuildingPlaceOut(BaseModel):
    id: int
    name: str | None
    address: str | None
    compound: str | None
    grid: str | None


class HouseholdPlaceOut(BaseModel):
    id: int
    building_id: int
    unit_label: str | None = Field(description="The dwelling's unit/room label (never a resident's name).")
    status: str = Field(description="Its house status today (China time).")


class PlacesOut(BaseModel):
    buildings: list[BuildingPlaceOut]
    households: list[HouseholdPlaceOut]
