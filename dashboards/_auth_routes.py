"""``GET/POST /login`` and ``POST /logout``: the sign-in form, in plain HTML (no data, no Dash).

The form carries a per-session CSRF token; a sign-in replaces the session (no fixation) and is
audited, as are failures (``geo.auth.authenticate``). ``next`` only ever leads back into this
site (a path, never another host).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import flask
from markupsafe import escape
from sqlalchemy import Engine

from dashboards._auth import SESSION_CSRF, client_ip, current_principal, sign_in, sign_out
from geo.auth import authenticate
from geo.errors import TooManyAttempts
from geo.settings import Settings

if TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse  # what flask.redirect returns

LOGIN_PATH, LOGOUT_PATH = "/login", "/logout"

_PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>登录 Sign in · battlemap</title><link rel="stylesheet" href="/assets/battlemap.css"></head>
<body class="bm-login"><main class="bm-login-box">
<h1>挂图作战 battlemap</h1>
<form method="post" action="{action}" id="login-form">
<input type="hidden" name="csrf" value="{csrf}">
<label>用户名 Name <input name="name" id="login-name" autocomplete="username" required value="{name}"></label>
<label>密码 Password <input name="password" id="login-password" type="password"
 autocomplete="current-password" required></label>
<button type="submit" id="login-submit">登录 Sign in</button>
</form>
<p class="bm-login-error" id="login-error" role="alert">{error}</p>
<p class="bm-note"><a href="/public">公开统计 Public figures</a></p>
</main></body></html>"""


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add ``/login`` (public) and ``/logout`` (signed-in, same-origin POST) to ``server``."""

    def login() -> BaseResponse | tuple[str, int, dict[str, str]]:
        target = _safe_next(flask.request.values.get("next"))
        if flask.request.method == "GET":
            return _form(target)
        form = flask.request.form
        expected = flask.session.get(SESSION_CSRF)
        if not expected or not secrets.compare_digest(str(form.get("csrf", "")), str(expected)):
            return _form(target, error="表单已过期，请重试 The form expired: try again", status=400)
        name, password = form.get("name", ""), form.get("password", "")
        try:
            with engine.begin() as conn:
                found = authenticate(conn, name, password, ip=client_ip(), settings=settings.auth)
        except TooManyAttempts as error:
            page = _form(target, name=name, error=f"登录失败次数过多 {error}", status=429)
            return (page[0], page[1], page[2] | {"Retry-After": str(error.retry_after)})
        if found is None:
            wrong = "用户名或密码错误，或账号已停用 Wrong name or password, or the account is disabled"
            return _form(target, name=name, error=wrong, status=401)
        sign_in(engine, found, settings.auth)
        home = found.policy.pages[0] if found.policy.pages else "/"
        return flask.redirect(target if target and found.may_open(target.split("?")[0]) else home)

    def logout() -> BaseResponse:
        sign_out(engine, current_principal())
        return flask.redirect(LOGIN_PATH)

    server.add_url_rule(LOGIN_PATH, "login", login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "logout", logout, methods=["POST"])


def _form(target: str | None, *, name: str = "", error: str = "", status: int = 200) -> tuple:
    token = flask.session.get(SESSION_CSRF)
    if not token:
        token = flask.session[SESSION_CSRF] = secrets.token_urlsafe(24)
    action = escape(LOGIN_PATH + (f"?next={quote(target, safe='/')}" if target else ""))
    body = _PAGE.format(action=action, csrf=escape(token), name=escape(name[:100]), error=escape(error))
    return body, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _safe_next(value: str | None) -> str | None:
    """``next`` when it is a path on this site; None for anything that could lead elsewhere.

    Browsers drop tabs and newlines inside URLs and read a backslash as ``/``, so ``/%09/evil.example``
    (a tab) or ``/%5C/evil.example`` would become ``//evil.example``, another host: any control
    character, whitespace or backslash is refused, and what is left must be a plain path (no scheme,
    no host, not starting with ``//``).
    """
    if not value or len(value) > 500:
        return None
    if any(c.isspace() or not c.isprintable() or c == "\\" for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return None
    return value
