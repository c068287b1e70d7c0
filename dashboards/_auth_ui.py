"""What the pages show of the sign-in: who is signed in, with which role, and a sign-out button."""

from __future__ import annotations

import flask
from dash import html

from dashboards._auth_routes import LOGOUT_PATH

USER_BADGE = "auth-user"
_ROLE_NAMES = {
    "commander": ("指挥", "commander"),
    "operator": ("街镇操作员", "operator"),
    "analyst": ("分析", "analyst"),
    "wall": ("大屏", "wall display"),
    "worker": ("网格员", "grid worker"),
}


def user_badge(lang: str) -> html.Form | None:
    """``name (role) [sign out]`` as a POST form (same-origin, like every state change); None when the
    request carries no signed-in user (a page built outside a request, in tests)."""
    found = flask.g.get("principal") if flask.has_request_context() else None
    if found is None:
        return None
    zh, en = _ROLE_NAMES[found.role]
    return html.Form(
        [
            html.Span(f"{found.name} ({zh if lang == 'zh' else en})", className="bm-user"),
            html.Button("退出" if lang == "zh" else "Sign out", type="submit", className="bm-button"),
        ],
        id=USER_BADGE,
        action=LOGOUT_PATH,
        method="POST",
        className="bm-user-badge",
    )
