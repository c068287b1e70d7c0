"""What the pages show of the sign-in: who is signed in, with which role, and a sign-out button."""

from __future__ import annotations

import flask
from dash import html

from dashboards._auth_routes import LOGOUT_PATH
from dashboards._i18n import t

USER_BADGE = "auth-user"


def user_badge(lang: str) -> html.Form | None:
    """``name (role) [sign out]`` as a POST form (same-origin, like every state change); None when the
    request carries no signed-in user (a page built outside a request, in tests)."""
    found = flask.g.get("principal") if flask.has_request_context() else None
    if found is None:
        return None
    return html.Form(
        [
            html.Span(f"{found.name} ({t(f'role_{found.role}', lang)})", className="bm-user"),
            html.Button(t("sign_out", lang), type="submit", className="bm-button"),
        ],
        id=USER_BADGE,
        action=LOGOUT_PATH,
        method="POST",
        className="bm-user-badge",
    )
