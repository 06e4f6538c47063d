"""The one-click unsubscribe endpoint (RFC 8058) behind ``notify.public_url``, and the Atom
feed at ``channels.feed_path`` (a GET, filtered by ?region=, ?kind=, ?all=1).

Plain HTTP on purpose: the operator puts it behind a TLS reverse proxy that owns the https
name. GET shows a confirmation page and never unsubscribes (link scanners and previews
fetch links); POST with a valid token deactivates the subscriber, idempotently. The token
is the only credential, so the POST body is not required to be anything in particular
(mail providers send ``List-Unsubscribe=One-Click`` urlencoded or as multipart).

Tokens and addresses are secrets of a kind: never logged (addresses masked), and the
standard library's access log, which would print the query string, is switched off.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import jinja2
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from notifier.feed import FeedService
from notifier.unsubscribe import token_subscriber, verify_token
from storage.subscribers import deactivate_subscriber, subscriber_by_id

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a one-click body is ~30 bytes; anything bigger is not read
REQUEST_TIMEOUT = 15  # seconds a client may take to send its request


def mask_email(email: str) -> str:
    """``wang@example.org`` -> ``w***@example.org``: enough for a log reader, not an address."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}"


def public_path(public_url: str) -> str:
    """The path this server answers: that of ``notify.public_url`` (``/`` when it has none)."""
    return unquote(urlsplit(public_url).path) or "/"


@dataclass(frozen=True)
class Holder:
    """Whom a valid token names."""

    subscriber_id: int
    email: str
    active: bool

    @property
    def masked(self) -> str:
        return mask_email(self.email)


class UnsubscribeService:
    """The endpoint's logic without HTTP: check a token, unsubscribe whom it names."""

    def __init__(self, sessions: sessionmaker[Session], signing_key: str, *, contact: str = "") -> None:
        if not signing_key:
            raise ValueError("the unsubscribe endpoint needs the signing key")
        self._sessions, self._key, self.contact = sessions, signing_key, contact

    def _holder(self, session: Session, token: str) -> Holder | None:
        subscriber_id = token_subscriber(token)
        sub = subscriber_by_id(session, subscriber_id) if subscriber_id is not None else None
        if sub is None or sub.email is None or not verify_token(self._key, token, sub.email):
            return None
        return Holder(sub.id, sub.email, sub.active)

    def check(self, token: str) -> Holder | None:
        """The subscriber a token was signed for, or None for a bad, tampered or unknown one."""
        with self._sessions.begin() as session:
            return self._holder(session, token)

    def unsubscribe(self, token: str) -> Holder | None:
        """Deactivate the token's subscriber; the Holder says whether it was still active before."""
        with self._sessions.begin() as session:
            holder = self._holder(session, token)
            if holder is not None:
                deactivate_subscriber(session, holder.email, "unsubscribed (one-click link)")
            return holder


# ---------------------------------------------------------------- pages

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ zh }} / {{ en }}</title>
<style>body{font-family:sans-serif;max-width:34em;margin:2em auto;padding:0 1em;line-height:1.6;color:#222}
h1{font-size:1.4em}small{color:#555}button{font-size:1em;padding:.5em 1.4em}</style>
</head><body>
<h1>{{ zh }}<br><small lang="en">{{ en }}</small></h1>
{% for line_zh, line_en in lines %}<p>{{ line_zh }}<br><small lang="en">{{ line_en }}</small></p>
{% endfor %}{% if action %}<form method="post" action="{{ action }}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">确认退订 / Unsubscribe</button></form>
{% endif %}</body></html>
"""
_TEMPLATE = jinja2.Environment(autoescape=True).from_string(_PAGE)

_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the URL holds the token
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


def render_page(zh: str, en: str, lines: list[tuple[str, str]], action: str | None = None) -> bytes:
    return _TEMPLATE.render(zh=zh, en=en, lines=lines, action=action).encode("utf-8")


def _resubscribe_line(contact: str) -> list[tuple[str, str]]:
    if not contact:
        return []
    return [(f"如需重新订阅，请联系 {contact}。", f"To subscribe again, write to {contact}.")]


def _done_page(holder: Holder, contact: str, already: bool) -> bytes:
    first = (
        (f"{holder.masked} 此前已经退订，不会再收到提醒邮件。", f"{holder.masked} was already unsubscribed.")
        if already
        else (
            f"{holder.masked} 已退订，不会再收到落户政策提醒邮件。",
            f"{holder.masked} will get no more digests.",
        )
    )
    return render_page("已退订", "Unsubscribed", [first, *_resubscribe_line(contact)])


def _confirm_page(holder: Holder, token: str) -> bytes:
    line = (
        f"确认后，{holder.masked} 将不再收到落户政策变化提醒邮件。",
        f"After you confirm, {holder.masked} will get no more settlement-rule digests.",
    )
    return render_page("退订提醒邮件", "Unsubscribe", [line], action="?" + urlencode({"token": token}))


_INVALID = render_page(
    "链接无效",
    "Invalid link",
    [
        (
            "这个退订链接无效或不完整（可能被截断或修改过），没有做任何更改。请使用邮件中的完整链接。",
            "This unsubscribe link is invalid or incomplete (cut or altered); nothing was changed. "
            "Use the full link from the email.",
        )
    ],
)
_NOT_FOUND = render_page("页面不存在", "Not found", [])
_UNAVAILABLE = render_page(
    "暂时无法处理",
    "Temporarily unavailable",
    [("请稍后再试，没有做任何更改。", "Please try again later; nothing was changed.")],
)


# ---------------------------------------------------------------- HTTP


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = False  # stop() waits for requests in flight (each is short)
    block_on_close = True


class _HttpServer6(_HttpServer):
    address_family = socket.AF_INET6


class UnsubscribeServer:
    """Serve ``path`` (unsubscribe, when a service is given) and the feed's path (when a feed
    is given) on host:port (port 0: any free port) until :meth:`stop`."""

    def __init__(
        self,
        service: UnsubscribeService | None,
        path: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        feed: FeedService | None = None,
    ) -> None:
        self.service, self.path, self.feed = service, path, feed
        server_class = _HttpServer6 if ":" in host else _HttpServer
        self._httpd = server_class((host, port), _make_handler(self))
        self.host, self.port = host, int(self._httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    def start(self) -> UnsubscribeServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="unsubscribe-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()


def _make_handler(app: UnsubscribeServer) -> type[BaseHTTPRequestHandler]:
    service, feed = app.service, app.feed

    class Handler(BaseHTTPRequestHandler):
        server_version = "policywatch-unsubscribe"
        timeout = REQUEST_TIMEOUT

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            return  # the access log would print the token; _handle logs one line per event instead

        def version_string(self) -> str:
            return self.server_version

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self._handle(post=False)

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            self._handle(post=True)

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            for name, value in {**_HEADERS, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _drain(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            if 0 < length <= MAX_BODY:
                self.rfile.read(length)
            self.close_connection = True

        def _feed(self, query: str) -> None:
            assert feed is not None
            try:
                body = feed.render(parse_qs(query), dt.datetime.now(dt.UTC))
            except SQLAlchemyError as exc:
                reason = getattr(exc, "orig", None) or type(exc).__name__
                log.error("feed endpoint: database unavailable (%s)", reason)
                self._send(503, _UNAVAILABLE)
                return
            self.send_response(200)
            for name, value in {
                "Content-Type": "application/atom+xml; charset=utf-8",
                "Content-Length": str(len(body)),
                "Cache-Control": "max-age=300",
                "X-Content-Type-Options": "nosniff",
            }.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            log.info("feed endpoint: served %d bytes", len(body))

        def _handle(self, post: bool) -> None:
            parts = urlsplit(self.path)
            if post:
                self._drain()
            if feed is not None and not post and unquote(parts.path) == feed.path:
                self._feed(parts.query)
                return
            if service is None or unquote(parts.path) != app.path:
                # not the path itself: a misrouted link may carry a token or an address in it
                log.info("unsubscribe endpoint: %s for a path other than %s: 404", self.command, app.path)
                self._send(404, _NOT_FOUND)
                return
            tokens = parse_qs(parts.query).get("token", [])
            token = tokens[0] if len(tokens) == 1 else ""
            try:
                holder = None
                if token:
                    holder = service.unsubscribe(token) if post else service.check(token)
            except SQLAlchemyError as exc:
                reason = getattr(exc, "orig", None) or type(exc).__name__
                log.error("unsubscribe endpoint: database unavailable (%s); nothing changed", reason)
                self._send(503, _UNAVAILABLE)
                return
            if holder is None:
                log.warning(
                    "unsubscribe endpoint: %s with an invalid or tampered token refused", self.command
                )
                self._send(400, _INVALID)
            elif post:
                what = "was already unsubscribed" if not holder.active else "unsubscribed (one-click)"
                log.info(
                    "unsubscribe endpoint: %s (subscriber %d) %s", holder.masked, holder.subscriber_id, what
                )
                self._send(200, _done_page(holder, service.contact, already=not holder.active))
            elif not holder.active:
                log.info("unsubscribe endpoint: page for %s, already unsubscribed", holder.masked)
                self._send(200, _done_page(holder, service.contact, already=True))
            else:
                log.info("unsubscribe endpoint: confirmation page for %s", holder.masked)
                self._send(200, _confirm_page(holder, token))

    return Handler
