"""A small HTTP proxy in front of the local workspace: counts requests per path and injects faults (429/503...).

Used by the retry tests and by bench/bench_sensor_calls.py to count REST calls at the wire.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Fault:
    status: int
    remaining: int
    path_contains: str = ""
    error_code: str = "TEMPORARILY_UNAVAILABLE"


class CountingProxy:
    """Forward every request to `upstream` (http://host:port); `faults` answer instead of forwarding."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []  # (method, full path with query)
        self.faults: list[Fault] = []
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

    def inject(self, status: int, times: int, path_contains: str = "", error_code: str | None = None) -> None:
        code = error_code or ("REQUEST_LIMIT_EXCEEDED" if status == 429 else "TEMPORARILY_UNAVAILABLE")
        with self._lock:
            self.faults.append(Fault(status, times, path_contains, code))

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

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _forward(self) -> None:
                path_only = self.path.split("?", 1)[0]
                with proxy._lock:
                    proxy.calls[path_only] += 1
                    proxy.requests.append((self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy._take_fault(path_only)
                if fault is not None:
                    payload = json.dumps({"error_code": fault.error_code, "message": "injected fault"}).encode()
                    self._reply(fault.status, {"Content-Type": "application/json"}, payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                out = {k: v for k, v in resp.getheaders()
                       if k.lower() not in ("transfer-encoding", "connection", "content-length")}
                conn.close()
                self._reply(resp.status, out, data)

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
    return json.dumps({"conn_type": "databricks", "host": "127.0.0.1", "port": proxy.port, "schema": "http",
                       "password": token})
