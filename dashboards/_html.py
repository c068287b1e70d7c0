"""HTML data-* attributes for Dash components, typed once."""

from __future__ import annotations

from typing import Any


def data_attributes(**values: str) -> dict[str, Any]:
    """`data_attributes(kpi="x")` is `{"data-kpi": "x"}`, to spread into `html.Div(..., **that)`.

    Dash takes data-* keywords at run time, but a plain `**data_attributes(kpi="x")` (a dict of str) reads to
    a type checker as possible values for the component's typed keywords (n_clicks, hidden, ...).
    """
    return {f"data-{name}": value for name, value in values.items()}
