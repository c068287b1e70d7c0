"""A TCP proxy in front of PostgreSQL, to make the database go away or hang under a running app."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``; ``cut()`` drops every connection and refuses new ones
    until ``restore()``; ``stall()`` accepts new connections and never answers them (a database
    whose postmaster is stopped: the kernel completes the handshake, nobody speaks), until
    ``restore()``. Connections made before a stall keep working, as backends of a stopped
    postmaster do."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._stalled = threading.Event()
        self._held: list[socket.socket] = []
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            if self._stalled.is_set():
                with self._lock:
                    self._held.append(client)  # kept open, never read nor answered
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self._lock:
                self._sockets -= {source, sink}

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            sockets = list(self._sockets)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def stall(self) -> None:
        self._stalled.set()

    def restore(self) -> None:
        self._stalled.clear()
        with self._lock:
            held, self._held = self._held, []
        for s in held:
            s.close()
        self._open.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()
