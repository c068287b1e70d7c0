"""Real parts for the device tests: a Mosquitto of the test's own (a temp config on a port of this
worktree's range, restartable; never the system broker's), the ingester as a subprocess
(`battlemap ingest mqtt`), and a QoS 1 publisher."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PORTS = range(8130, 8140)


def free_port() -> int:
    """A free port of this worktree's range (8130-8139)."""
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8130-8139")


def wait_for(check: Callable[[], object], *, timeout: float = 20.0, every: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {check}")
        time.sleep(every)


class Broker:
    """A Mosquitto with persistence in a temp directory; ``restart()`` stops and starts it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="bm-mosquitto-"))
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {self.dir}/\nmax_queued_messages 1000000\nmax_inflight_messages 0\n"
            "autosave_interval 1\n"
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.dir / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)  # saves its persistence file on the way out
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, *, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def broker() -> Iterator[Broker]:
    found = Broker()
    try:
        yield found
    finally:
        found.close()


class IngesterProcess:
    """`battlemap ingest mqtt` as a subprocess on ``database_url``, logging to a file."""

    def __init__(self, database_url: str, broker_url: str, client_id: str, log: Path, **env: str) -> None:
        self.args = [BATTLEMAP, "ingest", "mqtt", "--url", broker_url, "--client-id", client_id]
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "BATTLEMAP_MQTT_BATCH_MS": "50",
            "BATTLEMAP_MQTT_DEVICE_CACHE_S": "0",
            "BATTLEMAP_MQTT_RECONNECT_MAX_S": "4",
            **env,
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(self.args, env=self.env, stdout=handle, stderr=handle)
        handle.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class Publisher:
    """A device fleet's client: QoS 1 publishes that wait for the broker's PUBACK."""

    def __init__(self, broker_url: str, client_id: str = "bm-test-publisher") -> None:
        host, port = broker_url.removeprefix("mqtt://").split(":")
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(1, 2)
        self.client.connect(host, int(port))
        self.client.loop_start()

    def raw(self, topic: str, payload: bytes, *, wait: bool = True) -> mqtt.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos=1)
        if wait:
            info.wait_for_publish(timeout=10)
        return info

    def event(
        self, device: str, seq: int, ts: str, type_: str, value: float | None = None, *, wait: bool = True
    ) -> mqtt.MQTTMessageInfo:
        body = {"ts": ts, "seq": seq, "type": type_, "value": value}
        return self.raw(f"battlemap/devices/{device}/events", json.dumps(body).encode(), wait=wait)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
