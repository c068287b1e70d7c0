"""The notices of the service guide, one YAML file per language (``zh.yaml``, ``ja.yaml``…): data an
operator edits, not code. Every file has the same sections so that a printed guide says the same in
each language ("口径统一、标准规范"):

``registration``  what to register (登记内容)       ``method``   how and where (登记方式)
``key_persons``   notices for key persons (重点人员事项告知)
``health``        health tips (居民防疫健康提示)      ``poster``   the poster's text (宣传海报)

Each section is ``{title: str, lines: [str, ...]}``; the file also says its ``language`` (the code
its name gives). ``BATTLEMAP_NOTICES_DIR`` points at another directory of such files;
``battlemap notices check`` validates one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from geo.errors import ConfigError, InputError
from geo.services.languages import LANGUAGE_CODES

SECTIONS: tuple[str, ...] = ("registration", "method", "key_persons", "health", "poster")


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Notices:
    """One language's notices, section code -> section, in ``SECTIONS`` order."""

    language: str
    sections: Mapping[str, Section]

    def texts(self) -> list[str]:
        """Every title and line, in order (what a page or sheet shows)."""
        return [text for s in self.sections.values() for text in (s.title, *s.lines)]


def _section(path: Path, name: str, raw: object) -> Section:
    if not isinstance(raw, dict):
        raise InputError(path, "a section must be a mapping with title and lines", field=name)
    title, lines = raw.get("title"), raw.get("lines")
    if not isinstance(title, str) or not title.strip():
        raise InputError(path, "the section's title is missing or empty", field=f"{name}.title")
    if not isinstance(lines, list) or not lines:
        raise InputError(path, "the section needs a non-empty list of lines", field=f"{name}.lines")
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, str) or not line.strip():
            raise InputError(path, "a line must be non-empty text", field=f"{name}.lines", row=number)
    return Section(title.strip(), tuple(line.strip() for line in lines))


def read_notices(path: Path) -> Notices:
    """One notices file, validated.

    Raises
    ------
    InputError
        naming the file and the field (``health.lines``, line number as the row) that is wrong.
    """
    language = path.stem
    if language not in LANGUAGE_CODES:
        raise InputError(path, f"the file name must be a language code ({', '.join(LANGUAGE_CODES)})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(path, f"cannot be read as YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(path, "expected a mapping of language and sections")
    if raw.get("language") != language:
        raise InputError(
            path, f"says language {raw.get('language')!r} but its name says {language!r}", field="language"
        )
    unknown = set(raw) - {"language", *SECTIONS}
    if unknown:
        raise InputError(path, f"unknown sections {sorted(unknown)}; expected {', '.join(SECTIONS)}")
    missing = [s for s in SECTIONS if s not in raw]
    if missing:
        raise InputError(path, f"sections missing: {', '.join(missing)}", field=missing[0])
    return Notices(language, {name: _section(path, name, raw[name]) for name in SECTIONS})


def available(directory: Path) -> tuple[str, ...]:
    """The languages ``directory`` has a notices file for."""
    return tuple(sorted(p.stem for p in Path(directory).glob("*.yaml") if p.stem in LANGUAGE_CODES))


def load_notices(directory: Path, languages: Iterable[str]) -> dict[str, Notices]:
    """The notices of ``languages`` (in that order, each once) from ``directory``.

    Raises
    ------
    ConfigError
        a language has no file: names the file to add and the languages there are.
    InputError
        a file is malformed (``read_notices``).
    """
    found: dict[str, Notices] = {}
    for code in dict.fromkeys(languages):
        path = Path(directory) / f"{code}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"no notices in language {code!r}: add {path} with the sections {', '.join(SECTIONS)} "
                f"(there are notices in: {', '.join(available(directory)) or 'none'})"
            )
        found[code] = read_notices(path)
    return found


def check_directory(directory: Path) -> list[Notices]:
    """Every notices file of ``directory``, validated (``battlemap notices check``); zh is required."""
    if not (Path(directory) / "zh.yaml").is_file():
        raise ConfigError(f"{directory}: zh.yaml is missing (every guide prints the Chinese notices)")
    return list(load_notices(directory, available(directory)).values())
