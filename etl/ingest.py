"""The device ingester: MQTT (QoS 1, a persistent session under a fixed client id) -> PostGIS.

Messages are parsed as they arrive and stored in batches (one transaction per batch: the new events,
the dead letters, then the alert rules in a savepoint). A message is acknowledged to the broker only
after its batch committed, so a crash (``kill -9``) or a database outage loses nothing: the broker
redelivers what was not acknowledged, and the (device, seq) key drops what was stored already. Paho
reconnects by itself with a backoff up to ``reconnect_max_s``; a batch the database refused is
retried with a backoff while its messages stay unacknowledged. Logs name topics, counts and reasons,
never a payload.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from geo.clock import china_now
from geo.devices import store
from geo.devices.alerts import on_events
from geo.devices.payload import DeadLetter, Event, check_device, parse
from geo.devices.rules import Rules
from geo.devices.sweep import sweep
from geo.errors import ConfigError, DatabaseUnavailable
from geo.settings import DeviceSettings
from geo.vocab import CHINA_TZ

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None


def broker_address(url: str) -> BrokerAddress:
    """Host, port, TLS and credentials of ``mqtt://[user:password@]host[:port]`` (``mqtts://``: TLS, 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigError(
            f"the MQTT URL must read mqtt://host[:port] (or mqtts://), not {parts.scheme!r}://…"
        )
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise ConfigError("the MQTT URL has an invalid port") from None
    user = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    return BrokerAddress(parts.hostname, port, tls, user, password)


@dataclass
class Stats:
    """What the ingester did since it started (counts only)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    dead: dict[str, int] = field(default_factory=dict)
    alerts: int = 0
    batches: int = 0
    db_failures: int = 0
    connects: int = 0


def make_client(
    settings: DeviceSettings, *, client_id: str, url: str, persistent: bool = True
) -> mqtt.Client:
    """A paho MQTT 5 client for ``url``: manual acknowledgement, the session kept by the broker for
    ``session_expiry_s`` under ``client_id`` (``persistent``), reconnecting with a backoff."""
    address = broker_address(url)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=persistent
    )
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    client.reconnect_delay_set(min_delay=1, max_delay=max(1, int(settings.reconnect_max_s)))
    return client


def connect_properties(settings: DeviceSettings, *, persistent: bool = True) -> Properties:
    props = Properties(PacketTypes.CONNECT)
    if persistent:
        props.SessionExpiryInterval = settings.session_expiry_s
    props.ReceiveMaximum = settings.receive_maximum
    return props


class Ingester:
    """Subscribe to the devices' topic and store what comes, until ``stop`` is set."""

    def __init__(
        self,
        engine: Engine,
        settings: DeviceSettings,
        rules: Rules,
        *,
        url: str | None = None,
        topic: str | None = None,
        source: str = "device",
        stop: threading.Event | None = None,
    ) -> None:
        self.engine, self.settings, self.rules, self.source = engine, settings, rules, source
        self.url = url or settings.url
        self.topic = topic or settings.topic
        self.stop = stop or threading.Event()
        self.stats = Stats()
        self._queue: queue.Queue[tuple[int, mqtt.MQTTMessage]] = queue.Queue()
        self._generation = 0
        self._devices: dict[str, store.Device] = {}
        self._devices_at = 0.0
        self._last_report = time.monotonic()
        self.client = make_client(settings, client_id=settings.client_id, url=self.url)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- paho's network thread ------------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, flags: object, reason: object, _p: object) -> None:
        if getattr(reason, "is_failure", False):
            logger.warning("MQTT broker refused the connection: %s", reason)
            return
        self.stats.connects += 1
        present = getattr(flags, "session_present", False)
        logger.info(
            "connected to the MQTT broker (session present: %s); subscribing to %s", present, self.topic
        )
        client.subscribe(self.topic, qos=1)

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        # Message ids of the old connection mean nothing on the next one: never acknowledge them.
        self._generation += 1
        if not self.stop.is_set():
            logger.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        self._queue.put((self._generation, message))

    # -- the ingester's own thread --------------------------------------------------------------
    def run(self) -> Stats:
        address = broker_address(self.url)
        self.client.connect_async(
            address.host,
            address.port,
            keepalive=30,
            clean_start=False,
            properties=connect_properties(self.settings),
        )
        self.client.loop_start()
        sweeper = threading.Thread(target=self._sweep_loop, name="device-sweep", daemon=True)
        sweeper.start()
        logger.info(
            "ingesting %s from %s:%s as %s", self.topic, address.host, address.port, self.settings.client_id
        )
        try:
            while not self.stop.is_set():
                batch = self._take()
                if batch:
                    self._store(batch)
                self._maybe_report()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            sweeper.join(timeout=30)
        return self.stats

    def _take(self) -> list[tuple[int, mqtt.MQTTMessage]]:
        """Up to ``batch_size`` messages, waiting at most ``batch_ms`` after the first."""
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.batch_ms / 1000
        while len(batch) < self.settings.batch_size:
            left = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _store(self, batch: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        now = china_now()
        parsed: list[Event | DeadLetter] = [
            parse(
                m.topic,
                m.payload,
                max_bytes=self.settings.max_payload_bytes,
                now=now,
                future_s=self.settings.future_skew_s,
            )
            for _, m in batch
        ]
        self.stats.received += len(batch)
        delay = 0.5
        while True:
            try:
                self._write(batch, parsed)
                break
            except (OperationalError, DBAPIError, DatabaseUnavailable) as error:
                self.stats.db_failures += 1
                logger.warning(
                    "database unavailable (%s); %d messages stay unacknowledged, retry in %.1f s",
                    type(error).__name__,
                    len(batch),
                    delay,
                )
                if self.stop.wait(delay):
                    return
                delay = min(delay * 2, self.settings.reconnect_max_s)
        for generation, message in batch:
            if generation == self._generation and message.qos > 0:
                self.client.ack(message.mid, message.qos)

    def _known(self, codes: set[str]) -> dict[str, store.Device]:
        """The registered devices among ``codes`` (the list reloaded when stale, unknown ones looked up)."""
        if time.monotonic() - self._devices_at > self.settings.device_cache_s:
            with self.engine.connect() as conn:
                self._devices = store.devices_by_code(conn)
            self._devices_at = time.monotonic()
        missing = sorted(codes - set(self._devices))
        if missing:
            with self.engine.connect() as conn:
                self._devices.update(store.devices_by_code(conn, missing))
        return self._devices

    def _write(self, batch: list[tuple[int, mqtt.MQTTMessage]], parsed: list[Event | DeadLetter]) -> None:
        devices = self._known({p.device_code for p in parsed if isinstance(p, Event)})
        rows: list[tuple[int, int, dt.datetime, str, float | None]] = []
        letters: list[DeadLetter] = []
        by_id: dict[int, store.Device] = {}
        for (_, message), item in zip(batch, parsed, strict=True):
            if isinstance(item, DeadLetter):
                letters.append(item)
                continue
            device = devices.get(item.device_code)
            if device is None:
                letters.append(
                    DeadLetter(
                        "unknown_device",
                        message.topic[:200],
                        len(message.payload),
                        "no registered device has this id",
                        item.device_code,
                    )
                )
                continue
            wrong = check_device(item, device.type, message.topic, len(message.payload))
            if wrong is not None:
                letters.append(wrong)
                continue
            if device.removed_on is not None and item.ts.astimezone(CHINA_TZ).date() >= device.removed_on:
                letters.append(
                    DeadLetter(
                        "removed_device",
                        message.topic[:200],
                        len(message.payload),
                        "the device was removed before this reading",
                        item.device_code,
                    )
                )
                continue
            by_id[device.id] = device
            rows.append((device.id, item.seq, item.ts, item.type, item.value))
        with self.engine.begin() as conn:
            stored, new = store.insert_events(conn, rows, source=self.source, fever_c=self.rules.fever.min_c)
            store.insert_dead_letters(conn, letters)
            try:
                with conn.begin_nested():
                    raised = on_events(conn, new, by_id, self.rules, heard=by_id, source=self.source)
            except (OperationalError, DatabaseUnavailable):
                raise
            except Exception:  # a rule's failure must not lose the readings: they commit, it is logged
                logger.exception("device alert rules failed on a batch; its events are stored")
                raised = []
        self.stats.batches += 1
        self.stats.stored += stored
        self.stats.duplicates += len(rows) - stored
        self.stats.alerts += sum(r.created for r in raised)
        for letter in letters:
            self.stats.dead[letter.reason] = self.stats.dead.get(letter.reason, 0) + 1
            logger.warning("dead letter on %s: %s (%d bytes)", letter.topic, letter.reason, letter.size)

    def _sweep_loop(self) -> None:
        """The time rules every ``sweep_s``, and the retention roll-up once an hour, in a thread of their
        own so that the messages keep flowing."""
        last_rollup = 0.0
        while not self.stop.wait(self.settings.sweep_s):
            try:
                with self.engine.begin() as conn:
                    raised = sweep(conn, self.rules, source=self.source)
                self.stats.alerts += sum(r.created for r in raised)
                if time.monotonic() - last_rollup > 3600:
                    last_rollup = time.monotonic()
                    before = china_now() - dt.timedelta(days=self.settings.raw_retention_days)
                    with self.engine.begin() as conn:
                        gone, _days = store.roll_up(conn, before=before)
                    if gone:
                        logger.info(
                            "rolled %d raw events older than %d days up per device and day",
                            gone,
                            self.settings.raw_retention_days,
                        )
            except (OperationalError, DBAPIError, DatabaseUnavailable) as error:
                logger.warning("time rules skipped: database unavailable (%s)", type(error).__name__)

    def _maybe_report(self) -> None:
        if time.monotonic() - self._last_report < 60:
            return
        self._last_report = time.monotonic()
        s = self.stats
        logger.info(
            "ingested %d messages: %d stored, %d duplicates, %d dead letters, %d alerts opened",
            s.received,
            s.stored,
            s.duplicates,
            sum(s.dead.values()),
            s.alerts,
        )
