"""The play button of a time slider: each click starts or pauses an interval whose ticks step the
slider forward, back to the start after the end. Both run in the browser (``battlemap_map.js``:
``togglePlay`` and ``step``), so playing costs the server only the map's own callbacks."""

from __future__ import annotations

from collections.abc import Callable

import dash
from dash import ClientsideFunction, Input, Output, State


def register_play(app: dash.Dash, *, button: str, tick: str, slider: str, state: str) -> None:
    """Wire ``button`` to the ``tick`` interval and the interval to ``slider``.

    ``state`` is a store holding the button's labels (``play``, ``pause``) and the slider's last
    index (``days``).
    """
    app.clientside_callback(
        ClientsideFunction(namespace="battlemap", function_name="togglePlay"),
        Output(tick, "disabled"),
        Output(button, "children"),
        Input(button, "n_clicks"),
        State(state, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="battlemap", function_name="step"),
        Output(slider, "value"),
        Input(tick, "n_intervals"),
        State(slider, "value"),
        State(state, "data"),
        prevent_initial_call=True,
    )


def slider_marks(last: int, label: Callable[[int], str], *, count: int = 6) -> dict[int, str]:
    """About ``count`` evenly spaced labels on a 0..``last`` slider, always the last one; a regular
    mark closer to the last than half a spacing is left out, so labels never overlap."""
    spacing = max(1, last // count)
    marks = {i: label(i) for i in range(0, last + 1, spacing) if i == last or last - i >= spacing / 2}
    marks[last] = label(last)
    return marks
