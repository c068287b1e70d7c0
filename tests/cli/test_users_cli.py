"""`battlemap users add|list|disable|token` and `battlemap audit --since`, as a person runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.databases import sibling_url, throwaway_database
from tests.fixtures.small_city import load_small_city

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))


@pytest.fixture(scope="module")
def users_url(database_url: str) -> Iterator[str]:
    with throwaway_database(sibling_url(database_url, "users")) as url:
        engine = create_engine(url)
        load_small_city(engine)
        engine.dispose()
        yield url


def _run(*args: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [BATTLEMAP, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin
    )


def test_users_are_added_listed_given_tokens_and_disabled(users_url: str) -> None:
    added = _run("users", "add", "ops", "--role", "operator", "--unit", "陆家嘴街道", "--generate-password",
                 url=users_url)  # fmt: skip
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip().splitlines()[-1].removeprefix("password: ")
    assert len(password) >= 16
    typed = _run("users", "add", "ana", "--role", "analyst", "--password-stdin", url=users_url,
                 stdin="a long enough password\n")  # fmt: skip
    assert typed.returncode == 0, typed.stderr
    listed = _run("users", "list", url=users_url).stdout
    assert "ops" in listed and "operator" in listed and "unit:LJZ 陆家嘴街道" in listed
    assert "ana" in listed and "analyst" in listed and password not in listed
    token = _run("users", "token", "ops", url=users_url).stdout.strip().splitlines()[-1]
    assert token.startswith("bm_") and len(token) > 40
    engine = create_engine(users_url)
    with engine.connect() as conn:
        hashes = conn.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
        stored = conn.execute(text("SELECT password_hash FROM users WHERE name = 'ops'")).scalar_one()
    engine.dispose()
    assert token not in hashes and password not in stored
    assert _run("users", "disable", "ops", url=users_url).returncode == 0
    assert "disabled" in _run("users", "list", url=users_url).stdout


def test_tokens_are_listed_without_the_token_and_revoked_with_an_audit_row(users_url: str) -> None:
    typed = _run("users", "add", "qgis", "--role", "analyst", "--password-stdin", url=users_url,
                 stdin="a long enough password\n")  # fmt: skip
    assert typed.returncode == 0, typed.stderr
    issued = [_run("users", "token", "qgis", url=users_url).stdout.strip().splitlines()[-1] for _ in range(3)]
    listed = _run("users", "tokens", "qgis", url=users_url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert lines[0].split() == ["id", "kind", "created", "expires", "last", "used", "state", "layers"]
    assert len(lines) == 4 and all(line.split()[-2:] == ["active", "all"] for line in lines[1:])
    assert not any(token in listed.stdout for token in issued)
    first_id = lines[1].split()[0]
    one = _run("users", "revoke", "qgis", "--token-id", first_id, url=users_url)
    assert one.returncode == 0 and f"revoked 1 token(s) of qgis: [{first_id}]" in one.stdout, one.stderr
    assert (
        _run("users", "tokens", "qgis", url=users_url).stdout.strip().splitlines()[1].split()[-2] == "revoked"
    )
    rest = _run("users", "revoke", "qgis", "--all", url=users_url)
    assert rest.returncode == 0 and "revoked 2 token(s)" in rest.stdout, rest.stderr
    engine = create_engine(users_url)
    with engine.connect() as conn:
        live = conn.execute(text(
            "SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE u.name = 'qgis' AND t.revoked_at IS NULL")).scalar_one()  # fmt: skip
        audited = conn.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'user_change' AND target = 'qgis' "
            "AND detail ->> 'op' = 'revoke'")).scalar_one()  # fmt: skip
    engine.dispose()
    assert live == 0 and audited == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "x", "--role", "operator", "--generate-password"], "must be given an area"),
        (["users", "add", "x", "--role", "operator", "--unit", "Atlantis", "--generate-password"],
         "unknown unit 'Atlantis'"),
        (["users", "add", "x", "--role", "commander", "--unit", "LJZ", "--generate-password"],
         "a commander sees everything"),
        (["users", "disable", "ghost"], "no user is named 'ghost'"),
        (["users", "token", "ghost"], "no user is named 'ghost'"),
        (["users", "tokens", "ghost"], "no user is named 'ghost'"),
        (["users", "revoke", "ghost", "--all"], "no user is named 'ghost'"),
        (["users", "revoke", "ops", "--token-id", "99999"], "has no token 99999"),
        (["users", "revoke", "ops"], "give either --token-id ID or --all"),
        (["users", "token", "ops", "--kind", "url-key", "--days", "3"], "no --layers"),
        (["users", "token", "ops", "--kind", "url-key", "--layers", "people", "--days", "3"],
         "unknown layer 'people'"),
        (["users", "token", "ops", "--kind", "url-key", "--layers", "buildings"],
         "give --days N, 1 to 366"),
        (["users", "token", "ops", "--kind", "url-key", "--layers", "buildings", "--days", "9999"],
         "1 to 366"),
        (["users", "token", "ops", "--layers", "buildings"], "are for --kind url-key"),
    ],
)  # fmt: skip
def test_bad_user_commands_say_what_to_fix(users_url: str, args: list[str], message: str) -> None:
    run = _run(*args, url=users_url)
    assert run.returncode != 0 and message in run.stderr


def test_a_url_key_is_issued_listed_with_its_layers_and_audited(users_url: str) -> None:
    typed = _run("users", "add", "qgis-key", "--role", "analyst", "--password-stdin", url=users_url,
                 stdin="a long enough password\n")  # fmt: skip
    assert typed.returncode == 0, typed.stderr
    issued = _run("users", "token", "qgis-key", "--kind", "url-key", "--layers", "buildings,grids",
                  "--layers", "house-status", "--days", "7", url=users_url)  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    key = issued.stdout.strip().splitlines()[-1]
    assert key.startswith("bmk_") and "read-only" in issued.stdout and "valid 7 days" in issued.stdout
    line = _run("users", "tokens", "qgis-key", url=users_url).stdout.strip().splitlines()[1]
    assert line.split()[1] == "url-key" and line.endswith("buildings, grids, house-status")
    assert key not in line
    engine = create_engine(users_url)
    with engine.connect() as conn:
        days = conn.execute(text(
            "SELECT round(extract(epoch FROM t.expires_at - t.created_at) / 86400) FROM api_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE u.name = 'qgis-key'")).scalar_one()  # fmt: skip
        audited = conn.execute(text(
            "SELECT detail FROM audit_log WHERE action = 'user_change' AND target = 'qgis-key' "
            "AND detail ->> 'kind' = 'url-key'")).scalar_one()  # fmt: skip
    engine.dispose()
    assert days == 7 and audited["layers"] == ["buildings", "grids", "house-status"]


def test_the_audit_command_lists_what_happened(users_url: str) -> None:
    assert _run("users", "add", "aud", "--role", "wall", "--generate-password", url=users_url).returncode == 0
    listed = _run("audit", "--since", "1h", url=users_url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert any("user_change" in line and "aud" in line for line in lines)
    assert lines[-1].endswith("entries")
    only = _run("audit", "--since", "2000-01-01", "--action", "login", url=users_url)
    assert only.returncode == 0 and only.stdout.strip().splitlines()[-1] == "0 entries"
    bad = _run("audit", "--since", "yesterday-ish", url=users_url)
    assert bad.returncode != 0 and "neither a date" in bad.stderr
