"""A real HTTP endpoint on 127.0.0.1 standing in for group robots and webhooks.

It records every request (path, query, JSON body) and answers from a script: by default
the reply each service gives on success; a test can queue other replies (a 502, an error
code in a 200, a redirect).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

OK_REPLIES = {
    "/cgi-bin/webhook/send": {"errcode": 0, "errmsg": "ok"},
    "/robot/send": {"errcode": 0, "errmsg": "ok"},
    "/open-apis/bot/v2/hook/": {"code": 0, "msg": "success", "data": {}},
}


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    raw: bytes


@dataclass
class RobotEndpoint:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    replies: list[tuple[int, Any]] = field(default_factory=list)  # queued (status, JSON or headers)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def wecom(self, key: str = "wecom-key-0123456789abcdef") -> str:
        return self.url(f"/cgi-bin/webhook/send?key={key}")

    def dingtalk(self, token: str = "dingtalk-token-0123456789abcdef") -> str:
        return self.url(f"/robot/send?access_token={token}")

    def feishu(self, hook: str = "feishu-hook-0123456789abcdef") -> str:
        return self.url(f"/open-apis/bot/v2/hook/{hook}")

    def on(self, path_prefix: str) -> list[Received]:
        return [r for r in self.received if r.path.startswith(path_prefix)]


def _handler(endpoint: RobotEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = {}
            with endpoint.lock:
                endpoint.received.append(
                    Received(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}, body, raw)
                )
                status, reply = endpoint.replies.pop(0) if endpoint.replies else (200, None)
            if 300 <= status < 400:
                self.send_response(status)
                self.send_header("Location", reply)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if reply is None:
                reply = next((r for p, r in OK_REPLIES.items() if parts.path.startswith(p)), {"ok": True})
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def robot_endpoint() -> Iterator[RobotEndpoint]:
    endpoint = RobotEndpoint()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(endpoint))
    endpoint.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
