"""The CJK font printed sheets embed: a TrueType one (reportlab embeds TrueType, not CFF/OpenType).

Noto CJK ships as CFF-flavoured ``.ttc`` and cannot be embedded by reportlab (nor by
matplotlib); WenQuanYi Micro Hei / Zen Hei (Debian ``fonts-wqy-microhei`` /
``fonts-wqy-zenhei``) are TrueType and go into the PDF as subsets, so its text stays text.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from geo.errors import ConfigError

# (file, face index in a collection, name the PDF uses): the first installed wins.
FONT_FILES: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYiMicroHei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "WenQuanYiZenHei"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "ARPLUMing"),
)


@cache
def cjk_font() -> str:
    """The reportlab name of the first installed font of ``FONT_FILES`` (else of a TrueType CJK font
    fontconfig lists), registered on first use.

    Raises
    ------
    ConfigError
        when none is installed, with the package to install.
    """
    for path, index, name in (*FONT_FILES, *_fontconfig()):
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
            return name
    raise ConfigError(
        "no TrueType CJK font for printing: install fonts-wqy-microhei (Debian/Ubuntu: "
        "`sudo apt-get install fonts-wqy-microhei`, or `make setup`)"
    )


def _fontconfig() -> list[tuple[str, int, str]]:
    """Other TrueType (not CFF) fonts covering Chinese that fontconfig knows, if it is installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    run = subprocess.run(
        [fc_list, ":lang=zh:fontformat=TrueType", "file", "index"],
        capture_output=True,
        text=True,
        check=False,
    )
    found: list[tuple[str, int, str]] = []
    for line in sorted(run.stdout.splitlines()):
        path, _, index = line.partition(": :index=")
        if path and index.strip().isdigit():
            found.append((path.strip(), int(index), f"CJK{len(found)}"))
    return found
