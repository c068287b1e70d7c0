"""`make demo`'s commands, as a person runs them twice: the port checked before anything else (and what
to do when it is taken), the demo users' passwords kept unless a reset is asked for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.databases import sibling_url, throwaway_database
from tests.fixtures.small_city import load_small_city

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_url(database_url: str) -> Iterator[str]:
    with throwaway_database(sibling_url(database_url, "demo_cli")) as url:
        engine = create_engine(url)
        load_small_city(engine)
        engine.dispose()
        yield url


def _run(*args: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BATTLEMAP, *args],
        env={**os.environ, "DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_taken_port_stops_before_anything_and_says_what_to_do(demo_url: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        taken = _run("serve", "--check-port", url=demo_url, BATTLEMAP_PORT=str(port))
        assert taken.returncode == 1
        assert f"port {port} on 127.0.0.1 is already in use" in taken.stderr
        assert f"BATTLEMAP_PORT={port + 1} make demo" in taken.stderr
        assert "Traceback" not in taken.stderr
    free = _run("serve", "--check-port", "--port", str(port), url=demo_url)
    assert free.returncode == 0 and f"port {port} on 127.0.0.1 is free" in free.stdout


def test_make_demo_honours_battlemap_port_and_checks_it_first() -> None:
    dry = subprocess.run(
        ["make", "-n", "demo"],
        cwd=ROOT,
        env={**os.environ, "BATTLEMAP_PORT": "8051"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in dry.stdout.splitlines() if "battlemap " in line]
    assert "serve --check-port --host 127.0.0.1 --port 8051" in lines[0]
    assert "battlemap serve --host 127.0.0.1 --port 8051" in lines[-1]
    assert not any("--port 8050" in line for line in lines)


def _hashes(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name, password_hash FROM users WHERE name LIKE 'demo-%'"))
            return {name: digest for name, digest in rows}
    finally:
        engine.dispose()


def test_demo_users_keep_their_passwords_unless_asked(demo_url: str) -> None:
    first = _run("demo", "users", url=demo_url)
    assert first.returncode == 0, first.stderr
    assert "(unchanged)" not in first.stdout
    created = _hashes(demo_url)
    assert len(created) == 4
    again = _run("demo", "users", url=demo_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("(unchanged)") == 4 and "--reset-passwords" in again.stdout
    assert _hashes(demo_url) == created
    reset = _run("demo", "users", "--reset-passwords", url=demo_url)
    assert reset.returncode == 0 and "(unchanged)" not in reset.stdout
    assert all(_hashes(demo_url)[name] != digest for name, digest in created.items())
