"""The UI's words in Chinese (default), English, Japanese and Korean; domain terms come from ``geo.vocab``,
dates and numbers from ``dashboards._formats``.

A page picks its language from ``?lang=zh|en|ja|ko``, else the one last chosen (the ``LANGUAGE_COOKIE``
that ``install`` sets whenever a request names one), else ``AppSettings.language``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import flask

from dashboards._strings import STRINGS
from geo import errors
from geo.vocab import ADMIN_LEVELS, CHAIN_LEVELS, term

# The product's name, the same in every language.
TITLE = "挂图作战 battlemap"
LANGUAGES: tuple[str, ...] = ("zh", "en", "ja", "ko")
# Each language names itself, so a reader finds their own whatever the page's language.
LANGUAGE_NAMES: dict[str, str] = {"zh": "中文", "en": "English", "ja": "日本語", "ko": "한국어"}
LANGUAGE_COOKIE = "battlemap_lang"
LANGUAGE_COOKIE_DAYS = 365


def language(value: object, default: str) -> str:
    """``value`` when it names a supported language, else the last choice (its cookie, inside a
    request), else ``default`` (itself checked)."""
    if isinstance(value, str) and value.lower() in LANGUAGES:
        return value.lower()
    remembered = flask.request.cookies.get(LANGUAGE_COOKIE) if flask.has_request_context() else None
    if remembered in LANGUAGES:
        return str(remembered)
    return default if default in LANGUAGES else LANGUAGES[0]


def install(server: flask.Flask, *, default: str = "zh") -> None:
    """Remember the language a request names (``?lang=``) in a cookie, for URLs typed later, and name
    the page's language on its ``<html>`` (Dash's index page has none): screen readers, hyphenation and
    the fonts' regional forms of Han characters (``:lang(ja)`` in ``assets/battlemap.css``) follow it."""

    @server.after_request
    def remember(response: flask.Response) -> flask.Response:
        chosen = flask.request.args.get("lang", "").lower()
        if chosen in LANGUAGES and flask.request.cookies.get(LANGUAGE_COOKIE) != chosen:
            response.set_cookie(
                LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_DAYS * 86400, samesite="Lax", httponly=True
            )
        if response.mimetype == "text/html" and not response.direct_passthrough:
            page = response.get_data(as_text=True)
            if _BARE_HTML.search(page[:200]):
                lang = language(chosen, default)
                response.set_data(_BARE_HTML.sub(f'<html lang="{lang}">', page, count=1))
        return response


_BARE_HTML = re.compile(r"<html>", re.IGNORECASE)


def page_title(key: str) -> Callable[[], str]:
    """The browser tab's title of a page (``dash.register_page(title=...)``): the string ``key`` in the
    request's language (``?lang=``, else the remembered one, else the app's), then the product's name."""

    def title() -> str:
        asked = flask.request.args.get("lang") if flask.has_request_context() else None
        context = flask.current_app.extensions.get("battlemap") if flask.has_app_context() else None
        default = context.settings.app.language if context is not None else LANGUAGES[0]
        return f"{t(key, language(asked, default))} · 挂图作战"

    return title


def t(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = STRINGS[key][lang]
    return text.format(**values) if values else text


def strings(prefixes: tuple[str, ...], lang: str) -> dict[str, str]:
    """Every string whose key starts with one of ``prefixes``, in ``lang`` (for a page's script)."""
    return {key: words[lang] for key, words in STRINGS.items() if key.startswith(prefixes)}


def level(code: str, lang: str) -> str:
    """An administrative level's name (区, 街镇…) from the shared vocabulary."""
    return term(ADMIN_LEVELS, code).name(lang)


def chain_level(code: str, lang: str) -> str:
    """A responsibility-chain level's name (指挥部, 楼组长…) from the shared vocabulary."""
    return term(CHAIN_LEVELS, code).name(lang)


# What a page says for an error, by its class (most specific first): a sentence of its kind in the
# page's language; the English page shows the error's own message (it names the thing and the fix).
_ERROR_KEYS: tuple[tuple[type[errors.BattlemapError], str], ...] = (
    (errors.DatabaseUnavailable, "error_database"),
    (errors.Unauthorized, "error_unauthorized"),
    (errors.Forbidden, "error_forbidden"),
    (errors.TooManyAttempts, "error_attempts"),
    (errors.OutsideLoadedArea, "error_outside"),
    (errors.NotFound, "error_not_found"),
    (errors.InvalidParameter, "error_parameter"),
    (errors.Conflict, "error_conflict"),
    (errors.InvalidTransition, "error_transition"),
    (errors.InputError, "error_input"),
    (errors.ConfigError, "error_config"),
)


def error_text(error: BaseException, lang: str) -> str:
    """``error`` in words of ``lang``: the message itself in English, a sentence of its kind otherwise
    (the English message goes in the tooltip)."""
    if lang == "en":
        return str(error)
    key = next((key for kind, key in _ERROR_KEYS if isinstance(error, kind)), "error_other")
    # A command the message names as the fix (`battlemap db init`) is the same in every language.
    commands = re.findall(r"`([^`]+)`", str(error))
    return t(key, lang) + (t("error_fix", lang, commands="; ".join(commands)) if commands else "")
