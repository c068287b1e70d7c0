"""Everything that can go wrong in battlemap, named once.

Domain code raises these; the edges translate them: the CLI into a message and an exit
code, the HTTP layer into a status code (``STATUS_CODES``), Dash callbacks into an alert.
Messages name the thing, the value and the fix, and never carry personal data.
"""

from __future__ import annotations

from pathlib import Path


class BattlemapError(Exception):
    """Base of every error battlemap raises on purpose."""

    exit_code: int = 1


class ConfigError(BattlemapError):
    """A setting is missing or inconsistent."""

    exit_code = 2


class DatabaseUnavailable(BattlemapError):
    """PostGIS cannot be reached, or lacks what battlemap needs (the postgis extension)."""

    exit_code = 3


class UnknownCRSError(BattlemapError, ValueError):
    """A coordinate system name that battlemap does not know."""

    exit_code = 2

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"unknown CRS {value!r}: expected one of wgs84, gcj02, bd09 or EPSG:<code> (e.g. EPSG:4326)"
        )


class InvalidParameter(BattlemapError, ValueError):
    """A request parameter (bbox, date, tile address, id) that is malformed or out of range;
    ``parameter`` names it when known (the OGC API's error answers carry it)."""

    exit_code = 2

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        self.parameter = parameter
        super().__init__(message)


class OutsideLoadedArea(InvalidParameter):
    """A point (a case, a ring centre) where no data is loaded: any count there would be a silent zero."""


class NotFound(BattlemapError, LookupError):
    """A named thing (unit, grid, building, kind) does not exist."""

    exit_code = 4


class InputError(BattlemapError):
    """An input file cannot be loaded as a whole.

    Carries where the problem is, so that the message always names the file and, where
    known, the row (1-based data row, header excluded) and the field.
    """

    exit_code = 2

    def __init__(
        self,
        path: str | Path,
        reason: str,
        *,
        row: int | None = None,
        field: str | None = None,
        value: object | None = None,
        fix: str | None = None,
    ) -> None:
        self.path = str(path)
        self.reason = reason
        self.row = row
        self.field = field
        self.value = value
        self.fix = fix
        where = [self.path]
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        message = f"{', '.join(where)}: {reason}"
        if value is not None:
            message += f" (value {_short(value)!r})"
        if fix:
            message += f"; fix: {fix}"
        super().__init__(message)


class RejectLimitExceeded(InputError):
    """``--strict`` was asked and some rows were rejected: nothing is written."""


class Unauthorized(BattlemapError):
    """No valid sign-in (session or bearer token) came with a request that needs one."""

    exit_code = 5


class Forbidden(BattlemapError):
    """The signed-in user's role or area does not allow what was asked."""

    exit_code = 5


class TooManyAttempts(BattlemapError):
    """Sign-in is slowed down after repeated failures; ``retry_after`` seconds until the next try."""

    exit_code = 5

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


def _short(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# One status map for every HTTP edge (tiles, exports, API).
STATUS_CODES: dict[type[BattlemapError], int] = {
    ConfigError: 500,
    DatabaseUnavailable: 503,
    UnknownCRSError: 400,
    InvalidParameter: 400,
    NotFound: 404,
    Unauthorized: 401,
    Forbidden: 403,
    TooManyAttempts: 429,
    InputError: 400,
    BattlemapError: 500,
}


def status_code_for(error: BattlemapError) -> int:
    """The HTTP status for a battlemap error: the nearest class in ``STATUS_CODES``."""
    for cls in type(error).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


class OverlappingUnits(InputError):
    """Admin units overlapping units of their level: each building would belong to two (``--force`` loads)."""


class InputTooLarge(InputError):
    """An archive or compressed input that expands beyond the configured cap (a zip bomb)."""


class UnsafeOutputPath(InputError):
    """An output path (the rejects CSV) that is a symbolic link or not a regular file: not written."""


# --- closed-loop work (geo.loops) ----------------------------------------------------------------------


class InvalidTransition(BattlemapError):
    """A closed-loop step asked for out of order (or on a closed item): ``allowed`` names the steps
    that may come next, so a client can offer them."""

    exit_code = 6

    def __init__(self, message: str, *, allowed: tuple[str, ...] = ()) -> None:
        self.allowed = tuple(allowed)
        super().__init__(message)


class Conflict(BattlemapError):
    """A write based on a stale version (``If-Match``): ``current`` carries the state it lost to, so
    the second writer loses nothing and can decide again."""

    exit_code = 6

    def __init__(self, message: str, *, current: dict | None = None) -> None:
        self.current = current
        super().__init__(message)


class Unprocessable(BattlemapError, ValueError):
    """A well-formed request whose content is refused (a reading out of range, an oversized photo, an
    ``Idempotency-Key`` replayed with another body); ``field`` names what to fix."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


STATUS_CODES.update({InvalidTransition: 409, Conflict: 409, Unprocessable: 422})
