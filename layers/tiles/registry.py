"""The registry of tile layers (titiler-style): ``TileLayers.register(layer, overwrite=False)``.

A layer says how its tiles are made (a ``geo.tiles`` function), which request options it
takes (``resolve``), what its features carry (``fields``, for TileJSON) and how MapLibre draws
it (``style``, colours from ``layers.style`` only): the ``TileLayer`` type of ``layers.tiles.layer``.
A new layer is one module and one entry in ``default_layers``.
"""

from __future__ import annotations

from collections.abc import Iterable

from geo.errors import ConfigError, NotFound
from geo.settings import Settings
from layers.tiles import (
    basemap,
    buildings,
    campaign,
    flows,
    house_status,
    key_places,
    loops,
    national,
    responsibility,
    services,
)
from layers.tiles.layer import TileLayer


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


def default_layers(settings: Settings) -> TileLayers:
    """The layers battlemap serves, configured by ``settings`` (the flows layer's default window and
    deadline come from ``settings.flows``, so a bare ``/tiles/flows.json`` follows the configuration)."""
    static = (
        basemap.LAYER,
        buildings.LAYER,
        house_status.LAYER,
        responsibility.LAYER,
        national.LAYER,
        campaign.LAYER,
        loops.LAYER,
        key_places.LAYER,
    )
    return TileLayers((*static, flows.layer(settings.flows), services.layer(settings.services)))
