"""Configuration objects, one per concern, read from the environment (prefix BATTLEMAP_).

Built once at the edge (the CLI, app.py) and passed down as ``settings=``; nothing reads
the environment at import time. Tests build them with ``_env_file=None``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/battlemap"


def _psycopg_url(value: str) -> str:
    """A PostgreSQL URL read with the psycopg 3 driver."""
    url = make_url(value)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    if not url.drivername.startswith("postgresql"):
        raise ValueError(f"DATABASE_URL must point at PostgreSQL/PostGIS, got {url.drivername!r}")
    return url.render_as_string(hide_password=False)


class DatabaseSettings(BaseSettings):
    """Where PostGIS is.

    ``DATABASE_URL`` (the common convention of hosting platforms) wins over
    ``BATTLEMAP_DATABASE_URL``; without either, a local server at 127.0.0.1:5432 with the
    database ``battlemap``. A ``postgres://`` or ``postgresql://`` URL is read with the
    psycopg 3 driver.
    """

    model_config = SettingsConfigDict(
        env_prefix="BATTLEMAP_", env_file=".env", extra="ignore", populate_by_name=True
    )

    url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "BATTLEMAP_DATABASE_URL"),
        description="SQLAlchemy URL of the PostGIS database.",
    )
    pool_size: int = Field(default=5, ge=1, description="Connections kept open by the app.")
    statement_timeout_ms: int = Field(
        default=15_000,
        ge=0,
        description="The web app's statements are cancelled by the server after this (0 = none); "
        "command-line loads and exports are not limited.",
    )
    connect_timeout_s: int = Field(
        default=5,
        ge=2,
        description="A new connection that is not established within this gives up (libpq's minimum is 2).",
    )
    pool_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="A request waiting this long for a free pooled connection gets 503.",
    )
    retry_after_s: float = Field(
        default=3.0,
        ge=0,
        description="After a connection attempt failed, new ones fail at once for this long "
        "(so that a hung server costs one timeout, not one per request).",
    )

    read_urls: Annotated[list[str], NoDecode] = Field(
        default=[],
        validation_alias=AliasChoices("BATTLEMAP_DATABASE_READ_URLS", "read_urls"),
        description="Hot standbys of the primary (comma-separated or a JSON list of URLs): tiles, "
        "pages, KPIs and the public view read there; every write goes to the primary.",
    )
    replica_max_lag_s: float = Field(
        default=5.0,
        gt=0,
        description="A standby lagging more than this is out of rotation until it catches up.",
    )
    replica_check_s: float = Field(
        default=0.5, gt=0, le=60, description="How often each standby's lag and health are checked."
    )

    @field_validator("read_urls", mode="before")
    @classmethod
    def _url_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = (
                json.loads(value)
                if value.strip().startswith("[")
                else [v for v in value.split(",") if v.strip()]
            )
        if isinstance(value, list):
            return [_psycopg_url(str(v).strip()) for v in value]
        return value

    @field_validator("url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        return _psycopg_url(value)

    @property
    def sqlalchemy_url(self) -> URL:
        return make_url(self.url)

    @property
    def database_name(self) -> str:
        return self.sqlalchemy_url.database or "battlemap"


class EtlSettings(BaseSettings):
    """How loads run."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_ETL_", env_file=".env", extra="ignore")

    chunk_rows: int = Field(
        default=50_000, ge=100, description="Rows read, validated and copied per chunk (bounds memory)."
    )
    progress_min_rows: int = Field(
        default=20_000, ge=0, description="Files with at least this many rows show a progress bar."
    )
    max_decompressed_bytes: int = Field(
        default=8 * 1024**3,
        ge=1,
        description="A zip, XLSX or .gz input may expand to at most this many bytes (8 GiB); "
        "beyond it the load stops (a zip bomb).",
    )
    geojson_stream_bytes: int = Field(
        default=64 * 1024**2,
        ge=0,
        description="GeoJSON files larger than this once unzipped (64 MiB) are streamed in batches "
        "through GDAL instead of parsed whole, so memory stays bounded.",
    )
    admin_overlap_share: float = Field(
        default=0.01,
        gt=0,
        le=1,
        description="An admin unit covering more than this share (1 %) of another unit of the same "
        "level is an overlap: reported by `battlemap qa`, and refused by `load admin` without --force.",
    )
    bulk_min_rows: int = Field(
        default=20_000,
        ge=1,
        description="Loads of at least this many rows into a table that holds few (see "
        "bulk_max_existing_share) drop its secondary indexes and foreign keys, write, and build them "
        "again in the same transaction (etl.bulk): five times faster than row by row.",
    )
    bulk_max_existing_share: float = Field(
        default=0.1,
        ge=0,
        description="The bulk path is taken when the target table holds at most this share of the "
        "file's row count (0: only empty tables). It locks the table against readers until commit.",
    )
    bulk_index_memory_mb: int = Field(
        default=256,
        ge=1,
        description="maintenance_work_mem (MB) for the index builds of a bulk load: sorts in memory.",
    )


class DemoSettings(BaseSettings):
    """Where the demo sample lives and how the simulated parts are generated."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_DEMO_", env_file=".env", extra="ignore")

    sample_dir: Path = Field(
        default=PROJECT_ROOT / "data" / "sample",
        description="The compact extract shipped in the repo (made by data/build_sample.py).",
    )
    seed: int = Field(default=20220406, description="Seed of the simulated grids, households and people.")


class AppSettings(BaseSettings):
    """The web app."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_", env_file=".env", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface `battlemap serve` binds to.")
    port: int = Field(default=8050, ge=1, le=65535, description="Port `battlemap serve` listens on.")
    threads: int = Field(default=8, ge=1, description="Worker threads of the WSGI server (per process).")
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="App processes: 1 serves with waitress; more with gunicorn (set redis_url so that "
        "they share one tile and KPI cache).",
    )
    language: str = Field(
        default="zh", pattern="^(zh|en|ja|ko)$", description="Default UI language (zh, en, ja, ko)."
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="The app's address as clients reach it (e.g. https://map.example.org): TileJSON "
        "tile URLs start with it. Unset: the request's host, if it is one of allowed_hosts.",
    )
    allowed_hosts: list[str] = Field(
        default=["localhost", "127.0.0.1", "::1"],
        description="Host names a request's Host header may carry when public_url is unset (JSON list; "
        "the bind host is added); others get 400 where a URL would be built from them.",
    )
    cors_origins: list[str] = Field(
        default=[],
        description="Web origins (scheme://host[:port]) whose pages may read the tiles, TileJSON, OGC API "
        "and REST API from a browser (CORS), as a JSON list: "
        "BATTLEMAP_CORS_ORIGINS='[\"https://a.example\"]'. "
        'None by default. "*" allows any origin, but then without credentials (cookies).',
    )

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", origin):
                raise ValueError(
                    f"BATTLEMAP_CORS_ORIGINS has {origin[:80]!r}: an origin is scheme://host[:port], no path "
                    'or trailing slash (e.g. "https://map.example.org"), or "*"'
                )
        return [origin.lower() for origin in value]


class MapSettings(BaseSettings):
    """The map pages, their vector tiles and the wall display."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_MAP_", env_file=".env", extra="ignore")

    building_limit: int = Field(
        default=25, ge=1, description="People answering for more buildings than this are listed."
    )
    tile_cache_entries: int = Field(
        default=4096, ge=0, description="Vector tiles kept in memory per process (keyed on the data version)."
    )
    refresh_seconds: int = Field(
        default=60, ge=5, description="How often an open map or wall asks whether the data changed."
    )
    basemap_url: str | None = Field(
        default=None,
        description="An optional XYZ raster basemap ({z}/{x}/{y}); without it the offline basemap is drawn.",
    )
    basemap_crs: str = Field(
        default="wgs84",
        pattern="^(wgs84|gcj02)$",
        description="The datum of basemap_url's tiles; gcj02 (AMap, Tencent) shifts the overlays to match.",
    )
    wall_rotate_seconds: int = Field(
        default=30, ge=3, description="How long the wall display shows each entry of its playlist."
    )
    wall_playlist: list[str] = Field(
        default=["house-status", "responsibility"],
        min_length=1,
        description="What the wall rotates through: a tile layer, optionally @ a sub-district code "
        "(e.g. house-status@310115-005) to zoom to it; as JSON in the environment.",
    )
    wall_changed_minutes: int = Field(
        default=30, ge=1, description="The wall outlines buildings whose status was loaded this recently."
    )


class AuthSettings(BaseSettings):
    """Sign-in: sessions, cookies, tokens and how failed sign-ins are slowed down."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_AUTH_", env_file=".env", extra="ignore")

    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs session cookies; without it a random key per process (sessions end on restart).",
    )
    session_minutes: int = Field(
        default=8 * 60, ge=1, description="A browser session expires this long after sign-in."
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Send the session cookie over HTTPS only; unset = when the request came over HTTPS.",
    )
    token_days: int = Field(default=90, ge=1, description="Bearer tokens of `users token` expire after this.")
    max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins of one name (or 4x this from one address) before a pause.",
    )
    lockout_minutes: int = Field(
        default=15, ge=1, description="Failures are counted over, and a paused name waits, this long."
    )
    min_password_length: int = Field(default=10, ge=8, description="Shortest password `users add` accepts.")


class FlowSettings(BaseSettings):
    """The movement-flow map (动线管理图) and closed-loop transfer tracking (闭环转运)."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_FLOWS_", env_file=".env", extra="ignore")

    deadline_hours: float = Field(
        default=6.0,
        gt=0,
        description="A transfer leg not handed over this many hours after it departed (or was due to) "
        "makes its chain overdue.",
    )
    window_hours: int = Field(
        default=24, ge=1, le=24 * 14, description="The flow map's default time window, ending at its clock."
    )


class LogSettings(BaseSettings):
    """What the server and the CLI log (standard-library ``logging``, configured once by ``geo.logs``)."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_LOG_", env_file=".env", extra="ignore")

    level: str = Field(
        default="INFO",
        pattern="^(?i:debug|info|warning|error|critical)$",
        description="The least severe level written (DEBUG, INFO, WARNING, ERROR, CRITICAL).",
    )
    format: str = Field(
        default="text",
        pattern="^(text|json)$",
        description="`text`: one readable line per record; `json`: one JSON object per line.",
    )


class LoopSettings(BaseSettings):
    """Closed-loop work (闭环管理, ``geo.loops``) and its field API."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_LOOPS_", env_file=".env", extra="ignore")

    photo_max_bytes: int = Field(
        default=2_000_000,
        ge=1_000,
        le=20_000_000,
        description="The largest photo a step accepts (bytes, after base64 decoding); larger ones get 422.",
    )
    list_limit: int = Field(
        default=500, ge=1, le=10_000, description="Most items one `GET /api/v1/loops` answers with."
    )


class DeviceSettings(BaseSettings):
    """Home-isolation devices (door sensors, thermometers) over MQTT and the ingester's batching."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_MQTT_", env_file=".env", extra="ignore")

    url: str = Field(
        default="mqtt://127.0.0.1:1883",
        pattern=r"^mqtts?://[^/?#\s]+/?$",
        description="The MQTT broker (BATTLEMAP_MQTT_URL): mqtt://host[:port] (mqtts:// for TLS), "
        "optionally with user:password@.",
    )
    client_id: str = Field(
        default="battlemap-ingest",
        min_length=1,
        max_length=64,
        description="The ingester's fixed client id: its persistent session (and the QoS 1 messages "
        "queued while it is down) belongs to this id.",
    )
    topic: str = Field(
        default="battlemap/devices/+/events",
        description="The topic filter the ingester subscribes to; the device id is the level after "
        "`devices/`.",
    )
    session_expiry_s: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        description="How long the broker keeps the session (and its queued messages) of a stopped ingester.",
    )
    raw_retention_days: int = Field(
        default=30,
        ge=1,
        description="Raw device events are kept this many days, then rolled up per device and day "
        "(`battlemap devices rollup`).",
    )
    rules_path: Path | None = Field(
        default=None,
        description="The alert rules (YAML); unset: geo/devices/defaults/rules.yaml.",
    )
    batch_size: int = Field(default=5000, ge=1, description="Messages stored in one transaction at most.")
    batch_ms: int = Field(
        default=100, ge=1, description="A batch is stored at the latest this long after its first message."
    )
    max_payload_bytes: int = Field(
        default=4096, ge=64, description="A larger payload is dead-lettered unread (reason `too_large`)."
    )
    future_skew_s: int = Field(
        default=600, ge=0, description="A reading stamped more than this far in the future is dead-lettered."
    )
    reconnect_max_s: float = Field(
        default=30.0, gt=0, description="The longest wait between two reconnection attempts (backoff)."
    )
    device_cache_s: float = Field(
        default=30.0, ge=0, description="How long the ingester trusts its list of registered devices."
    )
    sweep_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the ingester runs the time rules (offline, missed readings, door left open).",
    )
    receive_maximum: int = Field(
        default=20_000,
        ge=1,
        le=65_535,
        description="Unacknowledged QoS 1 messages the broker may send the ingester at once (MQTT 5).",
    )


class CacheSettings(BaseSettings):
    """Where computed tiles and KPIs are kept: in each process, or in Redis for all of them."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_", env_file=".env", extra="ignore")

    redis_url: str | None = Field(
        default=None,
        description="A Redis server (redis://host:port/db) shared by all app processes; unset: each "
        "process keeps its own cache (the map's tile_cache_entries).",
    )
    redis_prefix: str = Field(
        default="battlemap", min_length=1, description="The prefix of every key this app writes to Redis."
    )
    redis_ttl_s: int = Field(
        default=86_400,
        ge=60,
        description="Seconds a cached value lives in Redis (entries of an old data version are never "
        "read again; the TTL and Redis's maxmemory policy bound them).",
    )
    redis_timeout_s: float = Field(
        default=0.5, gt=0, le=10, description="A Redis call slower than this is a miss, never a failure."
    )


class RollupSettings(BaseSettings):
    """The national roll-up (``geo.rollup``): who this city is, and when figures count as stale."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_ROLLUP_", env_file=".env", extra="ignore")

    city_code: str = Field(
        default="shanghai", pattern=r"^[a-z0-9_]+$", description="This city's code in the national roll-up."
    )
    city_name: str = Field(
        default="上海市", min_length=1, description="This city's name in the national roll-up."
    )
    stale_after_s: float = Field(
        default=900.0,
        gt=0,
        description="A city whose last refresh is older than this (or whose subscription is not "
        "connected) shows as stale on the national page.",
    )


class ServiceSettings(BaseSettings):
    """The multilingual service guide (涉外服务指引图): which compounds count as international, and
    where the notices printed for them are."""

    model_config = SettingsConfigDict(env_prefix="BATTLEMAP_", env_file=".env", extra="ignore")

    international_share: float = Field(
        default=0.10,
        gt=0,
        le=1,
        description="A compound whose share of foreign-national households reaches this is international "
        "(涉外小区): it gets a service guide.",
    )
    notices_dir: Path = Field(
        default=PROJECT_ROOT / "geo" / "services" / "notices",
        description="The notices, one YAML file per language (zh.yaml, en.yaml, ja.yaml…): "
        "registration, key persons, health tips, poster (geo.services.notices).",
    )


class Settings:
    """All settings of one process, built once at the edge."""

    def __init__(self, **overrides: Any) -> None:  # _env_file, then one dict of fields per group
        env_file = overrides.pop("_env_file", ".env")
        self.database = DatabaseSettings(_env_file=env_file, **overrides.pop("database", {}))
        self.etl = EtlSettings(_env_file=env_file, **overrides.pop("etl", {}))
        self.demo = DemoSettings(_env_file=env_file, **overrides.pop("demo", {}))
        self.app = AppSettings(_env_file=env_file, **overrides.pop("app", {}))
        self.map = MapSettings(_env_file=env_file, **overrides.pop("map", {}))
        self.flows = FlowSettings(_env_file=env_file, **overrides.pop("flows", {}))
        self.auth = AuthSettings(_env_file=env_file, **overrides.pop("auth", {}))
        self.log = LogSettings(_env_file=env_file, **overrides.pop("log", {}))
        self.loops = LoopSettings(_env_file=env_file, **overrides.pop("loops", {}))
        self.devices = DeviceSettings(_env_file=env_file, **overrides.pop("devices", {}))
        self.cache = CacheSettings(_env_file=env_file, **overrides.pop("cache", {}))
        self.rollup = RollupSettings(_env_file=env_file, **overrides.pop("rollup", {}))
        self.services = ServiceSettings(_env_file=env_file, **overrides.pop("services", {}))
        if overrides:
            raise TypeError(f"unknown settings groups: {sorted(overrides)}")
