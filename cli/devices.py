"""``battlemap devices|alerts|ingest``: home-isolation devices (技防) from the command line.

Device ids, household ids, grids, times and readings only: nothing personal. Times print in China time.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
from typing import Any

import click

from cli import context
from etl.schema import upgrade
from geo.devices import alerts as device_alerts
from geo.devices import kpis
from geo.devices.rules import load_rules
from geo.devices.store import device_rows, devices_by_code, event_rows, roll_up
from geo.devices.sweep import sweep
from geo.errors import InvalidParameter, NotFound
from geo.flows.chains import parse_clock
from geo.vocab import CHINA_TZ

AT_HELP = "ISO 8601 or 'YYYY-MM-DD HH:MM' (China time when no zone is given)."


def _clock(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_clock(value)
    except InvalidParameter as exc:
        raise click.BadParameter(str(exc)) from None


def _local(moment: dt.datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CHINA_TZ).isoformat()


def _dump(rows: list[dict[str, Any]]) -> None:
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))


@click.group("devices")
def devices() -> None:
    """Home-isolation devices: door sensors and thermometers (技防)."""


@devices.command("list")
@click.option("--at", callback=_clock, help=f"Online at this clock; default now. {AT_HELP}")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def list_devices(at: dt.datetime | None, as_json: bool) -> None:
    """Registered devices: id, type, household, last seen and whether online."""
    settings = context.settings()
    rules = load_rules(settings.devices.rules_path)
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            rows = device_rows(
                conn, at=at or dt.datetime.now(CHINA_TZ), heartbeat_h=rules.offline.heartbeat_h
            )
    finally:
        engine.dispose()
    listed = [
        {
            "id": r.code,
            "type": r.type,
            "household": int(r.household_id),
            "grid": r.grid_code,
            "last_seen": _iso(r.last_seen),
            "online": bool(r.online),
        }
        for r in rows
    ]
    if as_json:
        _dump(listed)
        return
    click.echo(f"{'id':20} {'type':12} {'household':>10} {'grid':14} {'last seen':20} online")
    for d in listed:
        seen = _local(dt.datetime.fromisoformat(d["last_seen"])) if d["last_seen"] else "-"
        click.echo(
            f"{d['id']:20} {d['type']:12} {d['household']:>10} {d['grid'] or '-':14} {seen:20} "
            f"{'yes' if d['online'] else 'no'}"
        )
    click.echo(f"{len(listed)} devices, {sum(d['online'] for d in listed)} online")


@devices.command("events")
@click.argument("device_id")
@click.option("--since", callback=_clock, help=f"Only events from this time on. {AT_HELP}")
@click.option("--limit", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def events(device_id: str, since: dt.datetime | None, limit: int, as_json: bool) -> None:
    """A device's raw events in their order (seq); older ones are rolled up per day."""
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            found = devices_by_code(conn, [device_id]).get(device_id)
            if found is None:
                raise NotFound(f"no registered device has id {device_id!r} (see `battlemap devices list`)")
            rows = event_rows(conn, found.id, since=since, limit=limit)
    finally:
        engine.dispose()
    listed = [
        {
            "seq": int(r.seq),
            "ts": _iso(r.ts),
            "type": r.type,
            "value": r.value,
            "received": _iso(r.received_at),
        }
        for r in rows
    ]
    if as_json:
        _dump(listed)
        return
    click.echo(f"{'seq':>10} {'ts':20} {'type':12} value")
    for e in listed:
        value = "-" if e["value"] is None else f"{e['value']:g}"
        click.echo(f"{e['seq']:>10} {_local(dt.datetime.fromisoformat(e['ts'])):20} {e['type']:12} {value}")
    click.echo(f"{len(listed)} events")


@devices.command("check")
@click.option("--at", callback=_clock, help=f"The clock; default now. {AT_HELP}")
def check(at: dt.datetime | None) -> None:
    """Run the time rules once (offline, missed readings, door left open); the ingester: each minute."""
    settings = context.settings()
    engine = context.engine()
    upgrade(engine)
    try:
        with engine.begin() as conn:
            raised = sweep(conn, load_rules(settings.devices.rules_path), at=at)
    finally:
        engine.dispose()
    click.echo(
        f"{sum(r.created for r in raised)} alerts opened, {sum(not r.created for r in raised)} updated"
    )


@devices.command("rollup")
@click.option(
    "--days", type=click.IntRange(min=1), help="Keep raw events this many days (default: the setting)."
)
def rollup(days: int | None) -> None:
    """Roll raw events older than the retention (BATTLEMAP_MQTT_RAW_RETENTION_DAYS) up per device and day."""
    settings = context.settings()
    keep = days or settings.devices.raw_retention_days
    engine = context.engine()
    upgrade(engine)
    before = dt.datetime.now(CHINA_TZ) - dt.timedelta(days=keep)
    try:
        with engine.begin() as conn:
            gone, rows = roll_up(conn, before=before)
    finally:
        engine.dispose()
    click.echo(f"{gone} raw events before {_local(before)} rolled up into {rows} device-day rows")


@devices.command("kpis")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def kpis_command(as_json: bool) -> None:
    """Devices online/offline and open alerts per grid."""
    settings = context.settings()
    rules = load_rules(settings.devices.rules_path)
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            rows = kpis.device_kpis(conn, heartbeat_h=rules.offline.heartbeat_h)
    finally:
        engine.dispose()
    if as_json:
        _dump([r.to_dict() for r in rows])
        return
    click.echo(f"{'grid':16} {'online':>7} {'offline':>8} {'open alerts':>12}")
    for r in rows:
        click.echo(f"{r.grid or '-':16} {r.online:>7} {r.offline:>8} {r.open_alerts:>12}")


@click.group("alerts")
def alerts() -> None:
    """Device alerts (fever, missed readings, door, offline, battery): items of the isolation_alert loop."""


@alerts.command("list")
@click.option("--state", type=click.Choice(("open", "closed")), help="Only open or only closed alerts.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def list_alerts(state: str | None, as_json: bool) -> None:
    """Alerts, newest first: id, kind, device, household, opened, state (and their loop item)."""
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            listed = device_alerts.list_alerts(conn, state=state)
    finally:
        engine.dispose()
    if as_json:
        _dump([a.to_dict() for a in listed])
        return
    click.echo(f"{'id':>6} {'kind':15} {'device':20} {'household':>10} {'opened':20} {'state':7} item")
    for a in listed:
        click.echo(
            f"{a.id:>6} {a.kind:15} {a.device or '-':20} {a.household:>10} {_local(a.opened):20} "
            f"{a.state:7} {a.item_id}"
        )
    click.echo(f"{len(listed)} alerts")


@click.group("ingest")
def ingest() -> None:
    """Long-lived ingesters of live data (MQTT devices)."""


@ingest.command("mqtt")
@click.option(
    "--url", help="The broker, mqtt://host[:port]; default BATTLEMAP_MQTT_URL (mqtt://127.0.0.1:1883)."
)
@click.option("--topic", help="Topic filter; default 'battlemap/devices/+/events'.")
@click.option("--client-id", help="The fixed client id of the persistent session; default battlemap-ingest.")
@click.option("--source", default="device", show_default=True, help="Stored as the events' source.")
def mqtt_command(url: str | None, topic: str | None, client_id: str | None, source: str) -> None:
    """Subscribe (QoS 1, persistent session) and store device events until stopped (Ctrl-C, SIGTERM)."""
    from etl.ingest import Ingester, broker_address

    settings = context.settings()
    device_settings = settings.devices
    if client_id:
        device_settings = device_settings.model_copy(update={"client_id": client_id})
    broker_address(url or device_settings.url)  # a bad URL stops here, before anything connects
    rules = load_rules(device_settings.rules_path)
    engine = context.engine()
    upgrade(engine)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    ingester = Ingester(engine, device_settings, rules, url=url, topic=topic, source=source, stop=stop)
    try:
        stats = ingester.run()
    finally:
        engine.dispose()
    click.echo(
        f"stopped: {stats.received} messages, {stats.stored} stored, {stats.duplicates} duplicates, "
        f"{sum(stats.dead.values())} dead letters, {stats.alerts} alerts opened"
    )
