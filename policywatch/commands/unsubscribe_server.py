"""`policywatch unsubscribe-server [--host H] [--port P]`: the one-click unsubscribe endpoint.

Serves the path of ``notify.public_url`` over plain HTTP until SIGINT/SIGTERM; the operator
puts it behind a TLS reverse proxy (RFC 8058 links must be https). Needs the public URL and
the signing key, else it is a config error (exit 2): a server that cannot check tokens
would only ever answer 400.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from urllib.parse import urlsplit

from notifier.feed import FeedService
from notifier.unsubscribe_server import UnsubscribeServer, UnsubscribeService, public_path
from policywatch.config import ConfigError
from policywatch.context import AppContext, OperationalError

log = logging.getLogger(__name__)


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port from 0 to 65535 (0: any free port)")
    return port


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "unsubscribe-server",
        help="serve the one-click unsubscribe links (plain HTTP, behind a TLS reverse proxy)",
        description="Serve the path of notify.public_url for one-click unsubscribe (RFC 8058): GET shows a "
        "confirmation page, POST unsubscribes the subscriber the signed token names. It speaks plain "
        "HTTP only: put it behind a TLS reverse proxy that serves notify.public_url over https and "
        "forwards to --host:--port. Needs notify.public_url and the signing key in the variable named "
        "by notify.signing_key_env (the same key `notify` signs the links with). With channels.feed_path "
        "it also serves the Atom feed there (then the unsubscribe part is optional). Runs until Ctrl-C or "
        "SIGTERM.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: only a proxy on this machine reaches it)",
    )
    p.add_argument("--port", type=_port, default=8025, help="port to listen on (default 8025; 0: any free)")
    p.set_defaults(handler=run)


def _service(ctx: AppContext) -> tuple[UnsubscribeService, str]:
    mail = ctx.config.notify_settings().mail
    if not mail.public_url:
        raise ConfigError(
            ctx.config.origin, "notify.public_url", "the public https URL this server is reached at", ""
        )
    if not mail.signing_key:
        name = ctx.config.notify.signing_key_env or "(none)"
        raise ConfigError(
            ctx.config.origin,
            "notify.signing_key_env",
            f"an environment variable holding the signing key ({name} is not set)",
        )
    if urlsplit(mail.public_url).scheme != "https":
        log.warning("notify.public_url is not https: digests carry no one-click link until it is")
    return UnsubscribeService(ctx.database(), mail.signing_key, contact=mail.contact), mail.public_url


def run(ctx: AppContext, args: argparse.Namespace) -> int:
    feed_path = ctx.config.channels.feed_path
    feed = FeedService(ctx.database(), feed_path, ctx.config.feed_url) if feed_path else None
    mail = ctx.config.notify_settings().mail
    if feed is not None and not (mail.public_url and mail.signing_key):
        service, public_url = None, ""  # the feed alone
        log.info("unsubscribe links not configured: serving only the feed at %s", feed_path)
    else:
        service, public_url = _service(ctx)
    try:
        server = UnsubscribeServer(
            service, public_path(public_url) if service else "", host=args.host, port=args.port, feed=feed
        )
    except OSError as exc:
        raise OperationalError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    if service is not None:
        print(f"unsubscribe-server: serving {server.url} for {public_url} (Ctrl-C to stop)", flush=True)
    if feed is not None:
        base = server.url.removesuffix(server.path) if service is not None else server.url.rstrip("/")
        print(f"unsubscribe-server: Atom feed at {base}{feed.path}", flush=True)
    log.info("unsubscribe endpoint listening on %s", server.url)
    while not stop.wait(1):
        pass
    server.stop()
    log.info("unsubscribe endpoint stopped")
    return 0
