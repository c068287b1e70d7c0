"""The analyst notebooks run top to bottom against a test database and save their maps as HTML."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
MAPS = {
    "risk_rings_of_a_day": ["risk_rings.html"],
    "responsibility_gaps": ["responsibility_gaps.html"],
    "compound_status_history": ["compound_status.html", "compound_status_history.csv"],
}

pytestmark = pytest.mark.slow


def test_every_notebook_is_tested() -> None:
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == set(MAPS)


@pytest.mark.parametrize("name", sorted(MAPS))
def test_notebook_runs_and_saves_its_map(
    name: str, risk_world_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", risk_world_url)
    monkeypatch.setenv("BATTLEMAP_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("BATTLEMAP_NOTEBOOK_DAY", "2022-04-10")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(NOTEBOOKS.parent), os.environ.get("PYTHONPATH", "")])
    )
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    for output in MAPS[name]:
        saved = tmp_path / output
        assert saved.exists() and saved.stat().st_size > 0, output
    html = (tmp_path / MAPS[name][0]).read_text(encoding="utf-8")
    # Offline: Leaflet inlined, no script or stylesheet from any URL (an intranet has no CDN).
    remote = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^\s\"'>]+", html)
    assert remote == [], remote
    assert "L.map(" in html and "Leaflet" in html
    if name != "compound_status_history":
        assert "battlemap-legend" in html  # the app's legend, in the app's colours
    if name == "risk_rings_of_a_day":
        legend = html[html.index("battlemap-legend") :]
        assert "距离圈" in legend and "封控区" not in legend  # rings are labelled as rings
        assert (tmp_path / MAPS[name][0]).stat().st_size < 2_000_000  # merged rings: a small file
