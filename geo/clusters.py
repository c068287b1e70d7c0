"""Local PostgreSQL clusters on loopback ports: a hot standby of a running primary, or a fresh
primary, for trying replication on one machine (``battlemap db replica create``) and for the tests.

Made with the server's own tools (``initdb``, ``pg_basebackup -R``, ``pg_ctl``) of the installed
major version. The server refuses to run as root, so when we are root every tool runs as the
``postgres`` user and the data directory belongs to it. A production standby is made the same
way by the database's operators; battlemap only needs its URL (``BATTLEMAP_DATABASE_READ_URLS``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from geo.errors import ConfigError

POSTGRES_USER = "postgres"
_BIN_ROOT = Path("/usr/lib/postgresql")
REPLICATION_HBA = "host replication all 127.0.0.1/32 trust"


class ClusterError(ConfigError):
    """A local cluster could not be made or started; the message says which step and why."""


def bin_dir() -> Path:
    """The newest installed server's binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(
        (p for p in _BIN_ROOT.glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).parent
    raise ClusterError("no PostgreSQL server binaries (pg_ctl) found; install postgresql (make setup)")


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", POSTGRES_USER, "--", *command] if os.geteuid() == 0 else command


def _run(step: str, command: list[str]) -> str:
    done = subprocess.run(_as_postgres(command), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ClusterError(f"{step} failed: {detail[-1] if detail else f'exit {done.returncode}'}")
    return done.stdout


def _own(path: Path) -> None:
    """A directory the server's user owns (0700, as the server demands)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        user = pwd.getpwnam(POSTGRES_USER)
        os.chown(path, user.pw_uid, user.pw_gid)
    path.chmod(0o700)


@dataclass(frozen=True)
class Cluster:
    """A local cluster: its data directory and port; the socket lives in the data directory."""

    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self.port}/postgres"

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        log = self.data_dir / "server.log"
        _run(
            "pg_ctl start",
            [str(bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-l", str(log), "-w", "start"],
        )

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as if it crashed; it recovers on the next start)."""
        _run("pg_ctl stop", [str(bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"])

    def running(self) -> bool:
        status = subprocess.run(
            _as_postgres([str(bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "status"]),
            capture_output=True,
            timeout=30,
        )
        return status.returncode == 0

    def remove(self) -> None:
        if self.running():
            self.stop(mode="immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _settings(port: int, data_dir: Path) -> str:
    return (
        f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data_dir}'\n"
        "wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\nhot_standby = on\n"
        "fsync = off\nshared_buffers = '64MB'\n"
    )


def create_primary(data_dir: Path, port: int) -> Cluster:
    """A new, started primary on ``port``: trust on loopback, replication allowed, logical WAL."""
    _own(data_dir.parent)
    _own(data_dir)
    _run(
        "initdb",
        [str(bin_dir() / "initdb"), "-D", str(data_dir), "-U", POSTGRES_USER, "-A", "trust", "-E", "UTF8"],
    )
    _append(data_dir / "postgresql.conf", _settings(port, data_dir))
    _append(data_dir / "pg_hba.conf", f"\n{REPLICATION_HBA}\n")
    cluster = Cluster(data_dir, port)
    cluster.start()
    return cluster


def create_standby(primary_host: str, primary_port: int, data_dir: Path, port: int) -> Cluster:
    """A hot standby of the primary at ``primary_host:primary_port``, streaming, started on ``port``.

    The primary must allow replication connections from here (``REPLICATION_HBA`` in its
    pg_hba.conf, then a reload); ``pg_basebackup -R`` writes the standby's connection settings.
    """
    if data_dir.exists() and any(data_dir.iterdir()):
        raise ClusterError(f"{data_dir} is not empty; choose another --data-dir or remove it")
    _own(data_dir.parent)
    _own(data_dir)
    basebackup = [
        str(bin_dir() / "pg_basebackup"),
        *("-h", primary_host, "-p", str(primary_port), "-U", POSTGRES_USER),
        *("-D", str(data_dir), "-R", "-X", "stream", "-c", "fast"),
    ]
    try:
        _run("pg_basebackup", basebackup)
    except ClusterError as exc:
        if "pg_hba.conf" in str(exc) or "replication" in str(exc):
            raise ClusterError(
                f"{exc}; the primary must allow replication: add '{REPLICATION_HBA}' to its pg_hba.conf "
                "and reload it (SELECT pg_reload_conf())"
            ) from None
        raise
    if not (data_dir / "postgresql.conf").exists():  # Debian keeps a cluster's config in /etc
        _append(data_dir / "postgresql.conf", _settings(port, data_dir))
        _append(data_dir / "pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
    _append(data_dir / "postgresql.auto.conf", f"\nport = {port}\nunix_socket_directories = '{data_dir}'\n")
    cluster = Cluster(data_dir, port)
    cluster.start()
    return cluster


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
