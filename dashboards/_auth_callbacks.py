"""What a Dash callback request (``POST /_dash-update-component``) may ask, checked before Dash runs it.

Two rules, both on the server (a browser can send anything):

- **Roles limited to some pages** (the wall) may only call the callbacks of those pages: every
  output of the requested callback, and every input and state it sends, must be a component of
  the page's own layout (or of Dash's page router). So the wall's token gets no other page's
  callbacks: no building card, no KPIs with a filter of its choosing, no search.
- **Typed inputs**: counters (``n_clicks``, ``n_intervals``, ``n_submit``), sliders and the map's
  click store carry integers; anything else is a 400 (``InvalidParameter``) before a callback could
  fail on it with a traceback.

The page layouts are read once per app, lazily (the wall's layout needs no database).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import dash
import flask
from dash import dcc
from dash._utils import split_callback_id, stringify_id

from dashboards._map import CLICK
from geo.errors import Forbidden, InvalidParameter

EXTENSION = "battlemap.callback_limits"
PAGES_ROUTER_IDS = frozenset({"_pages_location", "_pages_content", "_pages_store", "_pages_dummy"})
"""Dash's page router: its callback is how any page, the wall included, is shown."""
COUNTER_PROPS = frozenset({"n_clicks", "n_intervals", "n_submit", "n_clicks_timestamp"})
_INTEGER_COMPONENTS = (dcc.Slider, dcc.Interval)


class CallbackLimits:
    """The callbacks and components of each page of ``app``, for the checks of one request."""

    def __init__(self, app: dash.Dash) -> None:
        self._app = app
        self._page_ids: dict[str, frozenset[str]] = {}
        self._integer_ids: frozenset[str] | None = None
        self._lock = threading.Lock()

    def page_ids(self, path: str) -> frozenset[str]:
        """The (stringified) ids of the components of the page at ``path``."""
        with self._lock:
            found = self._page_ids.get(path)
        if found is None:
            page = next((p for p in dash.page_registry.values() if p["path"] == path), None)
            if page is None:
                found = frozenset()
            else:
                layout = page["layout"]() if callable(page["layout"]) else page["layout"]
                found = frozenset(stringify_id(c.id) for c in _components(layout) if _has_id(c))
            with self._lock:
                self._page_ids[path] = found
        return found

    def integer_ids(self) -> frozenset[str]:
        """Ids of the sliders and intervals of every page (their ``value`` / counters are integers)."""
        if self._integer_ids is not None:
            return self._integer_ids
        layout = self._app.validation_layout  # set by Dash on its first request
        found = frozenset(
            stringify_id(getattr(c, "id"))  # noqa: B009 (Dash components declare ids dynamically)
            for c in _components(layout)
            if isinstance(c, _INTEGER_COMPONENTS) and _has_id(c)
        )
        if layout is not None:
            self._integer_ids = found
        return found


def install(app: dash.Dash) -> None:
    """Make the checks of this module available to the sign-in guard of ``app``'s server."""
    app.server.extensions[EXTENSION] = CallbackLimits(app)


def check(body: object, *, pages: tuple[str, ...] | None) -> None:
    """Check one callback request's JSON ``body`` (``pages``: the role's pages, None = every page).

    Raises
    ------
    Forbidden
        when a page-limited role asks for a callback of another page.
    InvalidParameter
        for a malformed body or a non-integer where an integer belongs.
    """
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        raise InvalidParameter("a callback request needs a JSON body with an 'output'")
    limits: CallbackLimits | None = flask.current_app.extensions.get(EXTENSION)
    items = [*_items(body.get("inputs")), *_items(body.get("state"))]
    integers = limits.integer_ids() if limits is not None else frozenset()
    for item in items:
        _check_type(item, integers)
    if pages is None or limits is None:
        return
    allowed = PAGES_ROUTER_IDS.union(*(limits.page_ids(p) for p in pages))
    asked = {_output_id(o) for o in _outputs(body["output"])} | {_item_id(i) for i in items}
    outside = sorted(str(i) for i in asked - allowed)
    if outside:
        raise Forbidden(f"this role may use the callbacks of {', '.join(pages)} only (not {outside[0]})")


def _check_type(item: dict[str, Any], integer_ids: frozenset[str]) -> None:
    prop, value, key = item.get("property"), item.get("value"), _item_id(item)
    integer = prop in COUNTER_PROPS or (prop == "value" and key in integer_ids)
    if integer and value is not None and not _is_integer(value):
        raise InvalidParameter(f"{key}.{prop} must be an integer, not a {type(value).__name__}")
    click = prop == "data" and isinstance(item.get("id"), dict) and item["id"].get("type") == CLICK
    if click and value is not None and not (isinstance(value, dict) and _is_integer(value.get("id"))):
        raise InvalidParameter(f"{key}.data must name a building by its integer id")


def _is_integer(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _items(raw: object) -> Iterator[dict[str, Any]]:
    """Inputs or states, flattened (a wildcard input is a list of items)."""
    if not isinstance(raw, list):
        return
    for entry in raw:
        for item in entry if isinstance(entry, list) else [entry]:
            if not isinstance(item, dict) or "id" not in item:
                raise InvalidParameter("each callback input needs an 'id' and a 'property'")
            yield item


def _item_id(item: dict[str, Any]) -> str:
    id_ = item.get("id")
    return stringify_id(id_) if isinstance(id_, dict) else str(id_)


def _outputs(output: str) -> list[dict[str, str]]:
    try:
        split = split_callback_id(output)
    except ValueError as exc:
        raise InvalidParameter("a callback's 'output' must be component.property") from exc
    return split if isinstance(split, list) else [split]


def _output_id(output: dict[str, str]) -> str:
    """The output's component id as ``stringify_id`` writes it (an ``@hash`` suffix dropped)."""
    id_ = output["id"]
    if id_.startswith("{"):
        try:
            return stringify_id(json.loads(id_))
        except ValueError:
            return id_
    return id_


def _components(layout: object) -> Iterable[Any]:
    if layout is None:
        return []
    return [layout, *layout._traverse()] if hasattr(layout, "_traverse") else []


def _has_id(component: object) -> bool:
    return getattr(component, "id", None) is not None
