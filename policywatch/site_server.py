"""A real HTTP server on 127.0.0.1 that serves a folder of saved site pages.

Used by the tests and by `policywatch demo`. The folder holds *states*
(``<root>/<state>/<path>``); a request is answered from the current state, else from
``base``, so a test can change the site between two crawls by switching state. Faults
(status codes, delays, connection resets, wrong charset headers) are injected per path.
A sidecar ``<file>.headers.json`` sets response headers for one file (e.g. a wrong
charset). ETag and Last-Modified are sent and honoured unless ``validators=False``.
Benchmarks pass a large ``backlog``: the default listen backlog (5) drops connections when a
crawler opens many at once, which throttles whatever is measured against the server.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

mimetypes.add_type("text/html", ".htm")
mimetypes.add_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
mimetypes.add_type("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
mimetypes.add_type("application/msword", ".doc")
mimetypes.add_type("application/vnd.ms-excel", ".xls")
mimetypes.add_type("application/kswps", ".wps")


@dataclass
class Fault:
    """Answer requests whose path matches ``pattern`` abnormally, ``times`` times (None: always)."""

    pattern: str
    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False
    times: int | None = None


@dataclass
class Challenge:
    """Answer paths matching ``pattern`` like a 瑞数 JavaScript challenge until the client has
    ``cookie``: ``status`` with an inline ``$_ts`` script that sets the cookie and reloads after
    ``reload_ms``. A client that runs scripts (a browser) gets the real page on the reload."""

    pattern: str
    cookie: str = "pw_ts_passed=1"
    status: int = 412
    reload_ms: int = 300
    solvable: bool = True  # False: the script sets a cookie the server never accepts

    def page(self) -> bytes:
        cookie = self.cookie if self.solvable else self.cookie.split("=")[0] + "=wrong"
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><script>'
            "var $_ts = window['$_ts']; if (!$_ts) $_ts = window['$_ts'] = {}; $_ts.nsd = 48213;"
            f'document.cookie = "{cookie}; path=/";'
            f"setTimeout(function () {{ location.reload(); }}, {self.reload_ms});"
            "</script></head><body></body></html>"
        ).encode()

    def passed(self, cookie_header: str | None) -> bool:
        return self.cookie in [c.strip() for c in (cookie_header or "").split(";")]


@dataclass
class RequestRecord:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    size: int


class SiteServer:
    """Serve ``root`` on 127.0.0.1:<free port> in a background thread."""

    def __init__(
        self,
        root: Path,
        state: str = "base",
        *,
        validators: bool = True,
        host: str = "127.0.0.1",
        backlog: int = ThreadingHTTPServer.request_queue_size,
    ) -> None:
        self.root = Path(root)
        self.state = state
        self.validators = validators
        self.faults: list[Fault] = []
        self.challenges: list[Challenge] = []
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, 0), _make_handler(self), bind_and_activate=False)
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = backlog
        self._httpd.server_bind()
        self._httpd.server_activate()
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def start(self) -> SiteServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="site-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def set_state(self, state: str) -> None:
        if not (self.root / state).is_dir():
            raise ValueError(f"no state {state!r} under {self.root}")
        self.state = state

    def add_fault(self, pattern: str, **kwargs: object) -> Fault:
        fault = Fault(pattern, **kwargs)  # type: ignore[arg-type]
        with self._lock:
            self.faults.append(fault)
        return fault

    def add_challenge(self, pattern: str, **kwargs: object) -> Challenge:
        challenge = Challenge(pattern, **kwargs)  # type: ignore[arg-type]
        with self._lock:
            self.challenges.append(challenge)
        return challenge

    def _challenge_for(self, path: str, cookie_header: str | None) -> Challenge | None:
        with self._lock:
            return next(
                (c for c in self.challenges if re.search(c.pattern, path) and not c.passed(cookie_header)),
                None,
            )

    def clear_requests(self) -> None:
        """Forget the request log (faults and challenges stay)."""
        with self._lock:
            self.requests.clear()

    def clear(self) -> None:
        """Forget faults and the request log."""
        with self._lock:
            self.faults.clear()
            self.requests.clear()

    def requested(self, pattern: str = "") -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if re.search(pattern, r.path)]

    # -- internals used by the handler --
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if re.search(fault.pattern, path) and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _resolve(self, path: str) -> Path | None:
        rel = unquote(urlsplit(path).path).lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.htm"
        for state in (self.state, "base"):
            base = (self.root / state).resolve()
            candidate = (base / rel).resolve()
            if base in candidate.parents and candidate.is_file():
                return candidate
        return None

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)


def _make_handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "TRS-Fixture/1.0"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            return

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self._serve(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
            self._serve(send_body=False)

        def _send(self, status: int, headers: dict[str, str], body: bytes, send_body: bool) -> None:
            # recorded first: a client that has its answer may look at the log at once
            site._record(
                RequestRecord(self.command, self.path, dict(self.headers.items()), status, len(body))
            )
            self.send_response(status)
            headers = {"Content-Length": str(len(body)), **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)

        def _serve(self, send_body: bool) -> None:
            challenge = site._challenge_for(self.path, self.headers.get("Cookie"))
            if challenge:
                headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
                self._send(challenge.status, headers, challenge.page(), send_body)
                return
            fault = site._take_fault(self.path)
            if fault:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.reset:
                    site._record(RequestRecord(self.command, self.path, dict(self.headers.items()), 0, 0))
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault.status is not None:
                    self._send(
                        fault.status,
                        {"Content-Type": "text/html; charset=utf-8", **fault.headers},
                        fault.body,
                        send_body,
                    )
                    return
            path = site._resolve(self.path)
            if path is None:
                self._send(
                    404, {"Content-Type": "text/html"}, b"<html><body>404 Not Found</body></html>", send_body
                )
                return
            body = path.read_bytes()
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if ctype.startswith("text/"):
                ctype += "; charset=utf-8"
            headers = {"Content-Type": ctype}
            sidecar = path.with_name(path.name + ".headers.json")
            if sidecar.exists():
                headers.update(json.loads(sidecar.read_text(encoding="utf-8")))
            if fault:
                headers.update(fault.headers)
            if site.validators:
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                last_modified = email.utils.formatdate(path.stat().st_mtime, usegmt=True)
                headers.update({"ETag": etag, "Last-Modified": last_modified})
                if self.headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in self.headers
                    and self.headers.get("If-Modified-Since") == last_modified
                ):
                    self._send(
                        304,
                        {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")},
                        b"",
                        send_body,
                    )
                    return
            self._send(200, headers, body, send_body)

    return Handler


@contextmanager
def serve_site(root: Path, state: str = "base", **kwargs: object) -> Iterator[SiteServer]:
    """Run a SiteServer for the duration of a with-block."""
    server = SiteServer(root, state, **kwargs).start()  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
