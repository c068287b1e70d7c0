"""The tile-layer type: what one plugin in ``layers/tiles/`` declares (``LAYER`` or ``layer(settings)``).

Its own module so that the plugins import only this and the registry imports the plugins: no
import cycle between ``registry`` and the layers it gathers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection

from geo.crs import parse_crs
from geo.errors import Forbidden, InvalidParameter
from geo.scope import UNRESTRICTED, Scope
from geo.tiles import MAX_ZOOM, TileAddress, display_shift

Options = dict[str, object]
COMMON_PARAMS = frozenset({"v", "crs", "key"})
"""Taken by every layer: ``v`` (a cache buster), ``crs`` (the basemap's datum), ``key`` (a URL key,
``geo.credentials``)."""
DISPLAY_CRS: tuple[str, ...] = ("wgs84", "gcj02")
Render = Callable[..., bytes]
CLICKABLE = "battlemap:click"
"""A style layer whose ``metadata`` marks it so is clickable: its clicks reach the map's click store."""


def _no_options(conn: Connection, query: Mapping[str, str]) -> Options:
    return {}


@dataclass(frozen=True)
class TileLayer:
    """One tiled map layer, served at ``/tiles/<name>/{z}/{x}/{y}.pbf``."""

    name: str
    title_zh: str
    title_en: str
    render: Render
    """``render(conn, addr, **options) -> bytes`` (an MVT tile)."""
    fields: Mapping[str, Mapping[str, str]]
    """Per tile layer inside the tile (``buildings``, ``areas``…), attribute -> description."""
    resolve: Callable[[Connection, Mapping[str, str]], Options] = _no_options
    """The options of a request (e.g. ``date``) from its query string, defaults filled in."""
    style: Callable[..., list[dict]] = field(default=lambda **_: [])
    """``style(source=, dark=False) -> MapLibre style layers`` for this layer's source."""
    query_params: tuple[str, ...] = ()
    scoped: bool = False
    """``render`` takes ``scope=`` and keeps to it (``geo.scope``): area-scoped users may see this layer."""
    public: bool = False
    """The layer holds nothing of any area (the OSM basemap): served whole to every signed-in user."""
    minzoom: int = 0
    maxzoom: int = MAX_ZOOM
    version: Callable[[Connection], int] | None = None
    """What else than the loaded data (``data_versions``) the tiles depend on, as a number that changes
    with it (the loop markers: their log and the clock); part of the cache key and the ETag."""
    title_ja: str = ""
    title_ko: str = ""

    def title(self, language: str) -> str:
        """The layer's name in ``language`` (zh, en, ja, ko); English for a language it lacks."""
        found = {"zh": self.title_zh, "ja": self.title_ja, "ko": self.title_ko}.get(language, "")
        return found or self.title_en

    def tile(
        self, conn: Connection, addr: TileAddress, options: Options, *, scope: Scope = UNRESTRICTED
    ) -> bytes:
        """The tile at ``addr`` holding only what ``scope`` may see; ``options["crs"]`` (``gcj02``)
        shifts it onto a basemap in that datum.

        Raises
        ------
        Forbidden
            for a restricted scope on a layer that is neither ``scoped`` nor ``public``: a layer
            that cannot keep to an area is never served to someone limited to one.
        """
        options = dict(options)
        if self.scoped:
            options["scope"] = scope
        elif scope.restricted and not self.public:
            raise Forbidden(f"layer {self.name!r} is not available to accounts limited to an area")
        crs = options.pop("crs", None)
        if crs is not None:
            addr = TileAddress(addr.z, addr.x, addr.y, shift=display_shift(addr, parse_crs(str(crs))))
        return self.render(conn, addr, **options)

    def options(self, conn: Connection, query: Mapping[str, str]) -> Options:
        """The options of a request: the layer's own (``query_params``), plus for every layer ``crs``
        (the basemap's datum: ``wgs84``, the default, or ``gcj02``), ``v`` (a cache buster) and ``key``
        (a URL key: signs the request in, not part of the tile)."""
        unknown = set(query) - set(self.query_params) - COMMON_PARAMS
        if unknown:
            accepted = ", ".join((*self.query_params, *sorted(COMMON_PARAMS)))
            raise InvalidParameter(
                f"layer {self.name!r} takes no parameter {sorted(unknown)}; it accepts: {accepted}"
            )
        version = query.get("v", "0")
        if not (version.isascii() and version.isdigit() and len(version) <= 19):
            raise InvalidParameter(f"v was {version[:40]!r} but is expected to be a data version (digits)")
        own = {k: v for k, v in query.items() if k in self.query_params}
        options = self.resolve(conn, own)
        crs = query.get("crs", "wgs84").lower()
        if crs not in DISPLAY_CRS:
            raise InvalidParameter(f"crs was {crs!r} but is expected to be one of {', '.join(DISPLAY_CRS)}")
        return options | ({"crs": crs} if crs != "wgs84" else {})
