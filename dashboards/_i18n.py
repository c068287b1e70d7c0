"""The UI's words in Chinese (default) and English; domain terms come from ``geo.vocab``.

A page picks its language from ``?lang=zh|en``, else the one last chosen (the ``LANGUAGE_COOKIE``
that ``install`` sets whenever a request names one), else ``AppSettings.language``.
"""

from __future__ import annotations

import re

import flask

from dashboards._strings import STRINGS
from geo import errors
from geo.vocab import ADMIN_LEVELS, CHAIN_LEVELS, term

# The product's name, the same in every language.
TITLE = "挂图作战 battlemap"
LANGUAGES: tuple[str, ...] = ("zh", "en")
LANGUAGE_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}
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


def install(server: flask.Flask) -> None:
    """Remember the language a request names (``?lang=``) in a cookie, for URLs typed later."""

    @server.after_request
    def remember(response: flask.Response) -> flask.Response:
        chosen = flask.request.args.get("lang", "").lower()
        if chosen in LANGUAGES and flask.request.cookies.get(LANGUAGE_COOKIE) != chosen:
            response.set_cookie(
                LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_DAYS * 86400, samesite="Lax", httponly=True
            )
        return response


def t(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = STRINGS[key][lang]
    return text.format(**values) if values else text


def strings(prefixes: tuple[str, ...], lang: str) -> dict[str, str]:
    """Every string whose key starts with one of ``prefixes``, in ``lang`` (for a page's script)."""
    return {key: words[lang] for key, words in STRINGS.items() if key.startswith(prefixes)}


def level(code: str, lang: str) -> str:
    """An administrative level's name (区, 街镇…) from the shared vocabulary."""
    found = term(ADMIN_LEVELS, code)
    return found.zh if lang == "zh" else found.en


def chain_level(code: str, lang: str) -> str:
    """A responsibility-chain level's name (指挥部, 楼组长…) from the shared vocabulary."""
    found = term(CHAIN_LEVELS, code)
    return found.zh if lang == "zh" else found.en


# What the Chinese UI says for an error, by its class (most specific first); the English UI shows
# the error's own message. Never the English message in a Chinese page: it goes in the tooltip.
_ERROR_ZH: tuple[tuple[type[errors.BattlemapError], str], ...] = (
    (errors.DatabaseUnavailable, "数据库暂不可用，请稍后重试"),
    (errors.Unauthorized, "请先登录"),
    (errors.Forbidden, "当前账号无权执行此操作"),
    (errors.TooManyAttempts, "尝试次数过多，请稍后再试"),
    (errors.OutsideLoadedArea, "该位置不在已加载数据的范围内"),
    (errors.NotFound, "未找到所请求的对象（或不在您的管辖范围内）"),
    (errors.InvalidParameter, "输入的参数有误，请检查后重试"),
    (errors.Conflict, "数据已被他人修改，请刷新后重试"),
    (errors.InvalidTransition, "当前状态下不能执行此步骤"),
    (errors.InputError, "输入文件无法加载"),
    (errors.ConfigError, "系统配置有误，请联系管理员"),
)


def error_text(error: BaseException, lang: str) -> str:
    """``error`` in words of ``lang``: the message itself in English, a sentence of its kind in Chinese."""
    if lang != "zh":
        return str(error)
    text = next((zh for kind, zh in _ERROR_ZH if isinstance(error, kind)), "操作未能完成，请稍后重试")
    # A command the message names as the fix (`battlemap db init`) is the same in every language.
    commands = re.findall(r"`([^`]+)`", str(error))
    return text + (f"（处理：{'；'.join(commands)}）" if commands else "")
