"""`battlemap notices check [DIR]`: the shipped notices pass, a broken file fails with one line naming
the file and the field, exit code 2 and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BATTLEMAP, "notices", "check", *args], capture_output=True, text=True, timeout=60)


def test_the_shipped_notices_pass() -> None:
    done = _run()
    assert done.returncode == 0, done.stderr
    for line in ("zh (中文): 5 sections", "ja (日本語): 5 sections", "ko (한국어): 5 sections"):
        assert line in done.stdout


def test_a_broken_file_is_named_with_its_field(tmp_path: Path) -> None:
    others = ("method", "key_persons", "health", "poster")
    body = "language: zh\nregistration: {title: 登记内容, lines: []}\n"
    body += "".join(f"{name}: {{title: 标题, lines: [一行]}}\n" for name in others)
    (tmp_path / "zh.yaml").write_text(body, encoding="utf-8")
    done = _run(str(tmp_path))
    assert done.returncode == 2
    assert "zh.yaml" in done.stderr and "field 'registration.lines'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
