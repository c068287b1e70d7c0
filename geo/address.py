"""Offline address matching: Chinese street addresses reduced to a comparable key.

Published case lists and risk-area lists name places as free text ("浦东新区 张东路2281弄",
"上海市浦东新区张东路２２８１弄"). Both sides are reduced by the same ``match_key`` and
joined on (district, key) in PostGIS; no online geocoder is involved.
"""

from __future__ import annotations

import re
import unicodedata

_PREFIXES = ("上海市", "上海")
_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,5}(?:新区|区|县)")
_NOISE = re.compile(r"[\s\u3000·,，。.、;；:：\"'“”‘’()（）\[\]【】<>《》\-—_/\\]+")


def match_key(address: str | None, *, district: str | None = None) -> str:
    """A normalised key: NFKC (full-width digits and letters to ASCII), no city or district
    prefix, no spaces or punctuation, lower-case Latin letters.

    >>> match_key("上海市浦东新区张东路２２８１弄", district="浦东新区")
    '张东路2281弄'
    """
    if not address:
        return ""
    text = unicodedata.normalize("NFKC", address).strip()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if district and text.startswith(district):
        text = text[len(district) :]
    elif not district:
        text = _DISTRICT.sub("", text, count=1)
    return _NOISE.sub("", text).lower()


def split_district(address: str) -> tuple[str | None, str]:
    """("浦东新区白杨路199弄") -> ("浦东新区", "白杨路199弄"); the district is None when absent."""
    text = unicodedata.normalize("NFKC", address).strip()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
    found = _DISTRICT.match(text)
    if not found:
        return None, text
    return found.group(0), text[found.end() :]
