"""A small HTTP proxy in front of the local workspace: counts requests per path and injects faults.

Fault kinds (each for the next `times` requests whose path contains `path_contains`):
* "answer": reply `status` (429, 503, ...) with a Databricks JSON error *without forwarding* (the workspace never
  saw the request);
* "lost": forward the request (the workspace applies it), then reply `status` instead of the real answer: the
  "applied but response lost" case (a gateway timing out, a proxy 503 after forwarding);
* "reset": reset the TCP connection without forwarding; "lost_reset": forward, then reset;
* "late": reply `status` without forwarding, but hold the request and forward it right before the next request on
  the same path: a write that lands only after the caller gave up on it (a slow gateway delivering it later);
* "garbled": forward, then reply 200 with a body that is not JSON (a gateway's HTML page after the call applied).

Used by the retry tests, the fault matrix (tests/reliability) and bench/bench_sensor_calls.py to count REST calls.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import struct
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Fault:
    status: int
    remaining: int
    path_contains: str = ""
    error_code: str = "TEMPORARILY_UNAVAILABLE"
    kind: str = "answer"  # answer | lost | reset | lost_reset | late | garbled

    @property
    def forwards(self) -> bool:
        return self.kind in ("lost", "lost_reset", "garbled")


_KINDS = ("answer", "lost", "reset", "lost_reset", "late", "garbled")


class CountingProxy:
    """Forward every request to `upstream` (http://host:port); `faults` answer instead of forwarding."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []  # (method, full path with query)
        self.faults: list[Fault] = []
        self._held: list[tuple[str, str, str, dict, bytes | None]] = []  # "late" requests: (path, method, ...)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> CountingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.requests.clear()
            self.faults.clear()
            self._held.clear()

    def inject(
        self, status: int, times: int, path_contains: str = "", error_code: str | None = None, kind: str = "answer"
    ) -> None:
        if kind not in _KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        code = error_code or ("REQUEST_LIMIT_EXCEEDED" if status == 429 else "TEMPORARILY_UNAVAILABLE")
        with self._lock:
            self.faults.append(Fault(status, times, path_contains, code, kind))

    def inject_lost_response(self, times: int, path_contains: str, status: int = 503) -> None:
        """Apply the request upstream, then answer `status`: the caller cannot tell it was applied."""
        self.inject(status, times, path_contains, kind="lost")

    def inject_reset(self, times: int, path_contains: str, after_forwarding: bool = False) -> None:
        self.inject(0, times, path_contains, kind="lost_reset" if after_forwarding else "reset")

    def measure(self, action: Callable[[], Any]) -> tuple[int, float, Any]:
        """Run `action`: (requests it sent through the proxy, milliseconds it took, what it returned)."""
        self.reset()
        start = time.perf_counter()
        value = action()
        return self.total(), round((time.perf_counter() - start) * 1000, 1), value

    def pending_faults(self) -> int:
        with self._lock:
            return sum(fault.remaining for fault in self.faults)

    def total(self, path_contains: str = "") -> int:
        with self._lock:
            return sum(n for path, n in self.calls.items() if path_contains in path)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.path_contains in path:
                    fault.remaining -= 1
                    return fault
        return None

    def _record(self, method: str, full_path: str, path_only: str) -> None:
        with self._lock:
            self.calls[path_only] += 1
            self.requests.append((method, full_path))

    def _next_fault(self, path_only: str, request: tuple[str, str, str, dict, bytes | None]) -> Fault | None:
        """The fault this request gets, if any; a "late" one holds the request until the next one on its path."""
        fault = self._take_fault(path_only)
        if fault is not None and fault.kind == "late":
            with self._lock:
                self._held.append(request)
        return fault

    def _release_held(self, path_only: str) -> list[tuple[str, str, str, dict, bytes | None]]:
        """The "late" requests held for `path_only`, taken out of the queue (forwarded before the next one)."""
        with self._lock:
            late = [held for held in self._held if held[0] == path_only]
            self._held = [held for held in self._held if held[0] != path_only]
        return late

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _forward(self) -> None:
                path_only = self.path.split("?", 1)[0]
                proxy._record(self.command, self.path, path_only)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                for _, method, path, held_headers, held_body in proxy._release_held(path_only):  # earlier lands first
                    self._upstream(held_body, method, path, held_headers)
                fault = proxy._next_fault(path_only, (path_only, self.command, self.path, headers, body))
                if fault is not None and not fault.forwards:
                    self._fail(fault)
                    return
                status, out, data = self._upstream(body, self.command, self.path, headers)
                if fault is not None:
                    self._fail(fault)  # applied upstream; the caller never learns it
                    return
                self._reply(status, out, data)

            def _fail(self, fault: Fault) -> None:
                if fault.kind == "garbled":
                    self._reply(200, {"Content-Type": "text/html"}, b"<html><body>Gateway says OK</body></html>")
                    return
                if fault.kind in ("reset", "lost_reset"):
                    # SO_LINGER 0: close() sends a TCP RST, the client sees "connection reset", no answer.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                payload = json.dumps({"error_code": fault.error_code, "message": "injected fault"}).encode()
                self._reply(fault.status, {"Content-Type": "application/json"}, payload)

            def _upstream(self, body: bytes | None, method: str, path: str, headers: dict) -> tuple[int, dict, bytes]:
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                out = {
                    k: v
                    for k, v in resp.getheaders()
                    if k.lower() not in ("transfer-encoding", "connection", "content-length")
                }
                conn.close()
                return resp.status, out, data

            def _reply(self, status: int, headers: dict, data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _forward

        return Handler


def connection_json(proxy: CountingProxy, token: str) -> str:
    """An Airflow `databricks` connection that goes through the proxy."""
    return json.dumps(
        {"conn_type": "databricks", "host": "127.0.0.1", "port": proxy.port, "schema": "http", "password": token}
    )


@contextmanager
def counted_workspace(prefix: str, workspace_dir: Path) -> Iterator[CountingProxy]:
    """For benchmarks: a fresh local workspace behind a proxy, `databricks_default` pointed at the proxy."""
    from local_workspace.launcher import start_workspace

    with tempfile.TemporaryDirectory(prefix=prefix) as data_dir:
        workspace = start_workspace(data_dir=data_dir, workspace_dir=workspace_dir)
        proxy = CountingProxy(workspace.url).start()
        try:
            os.environ["AIRFLOW_CONN_DATABRICKS_DEFAULT"] = connection_json(proxy, workspace.token)
            yield proxy
        finally:
            proxy.stop()
            workspace.stop()
