"""The registry of tile layers (titiler-style): ``TileLayers.register(layer, overwrite=False)``.

A layer says how its tiles are made (a ``geo.tiles`` function), which request options it
takes (``resolve``), what its features carry (``fields``, for TileJSON) and how MapLibre draws
it (``style``, colours from ``layers.style`` only). A new layer is one module and one entry in
``default_layers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection

from geo.crs import parse_crs
from geo.errors import ConfigError, Forbidden, InvalidParameter, NotFound
from geo.scope import UNRESTRICTED, Scope
from geo.tiles import MAX_ZOOM, TileAddress, display_shift

Options = dict[str, object]
COMMON_PARAMS = frozenset({"v", "crs"})
DISPLAY_CRS: tuple[str, ...] = ("wgs84", "gcj02")
Render = Callable[..., bytes]


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

    def title(self, language: str) -> str:
        return self.title_zh if language == "zh" else self.title_en

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
        (the basemap's datum: ``wgs84``, the default, or ``gcj02``) and ``v`` (a cache buster)."""
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


class TileLayers:
    """Named tile layers; ``register`` refuses to replace one unless ``overwrite=True``."""

    def __init__(self, layers: Iterable[TileLayer] = ()) -> None:
        self._layers: dict[str, TileLayer] = {}
        for layer in layers:
            self.register(layer)

    def register(self, layer: TileLayer, *, overwrite: bool = False) -> None:
        if layer.name in self._layers and not overwrite:
            raise ConfigError(
                f"a tile layer named {layer.name!r} is already registered; pass overwrite=True to replace it"
            )
        self._layers[layer.name] = layer

    def get(self, name: str) -> TileLayer:
        try:
            return self._layers[name]
        except KeyError:
            raise NotFound(
                f"unknown tile layer {name!r}: expected one of {', '.join(self._layers)}"
            ) from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._layers)

    def __contains__(self, name: object) -> bool:
        return name in self._layers


def default_layers() -> TileLayers:
    """The layers battlemap serves."""
    from layers.tiles import basemap, buildings, flows, house_status, responsibility

    return TileLayers(m.LAYER for m in (basemap, buildings, house_status, responsibility, flows))
