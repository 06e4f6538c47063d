"""What a failed download means, in words an operator can act on (one log line, no traceback)."""

from __future__ import annotations

_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("DNSLookupError", "CannotResolveHostError"), "the host name does not resolve: check the URL, or this machine's DNS and network"),
    (("ConnectionRefused",), "connection refused: the site is down or has moved (override start_urls if it moved)"),
    (("Timeout", "TimedOut"), "no answer within crawl.timeout_seconds: the site is slow, or blocks this network"),
    (("ConnectionLost", "ResponseFailed", "ResponseNeverReceived", "ConnectionDone", "DownloadFailed"), "the connection broke off: the site or its firewall dropped it"),
    (("SSL", "TLS", "Certificate"), "the TLS handshake failed: the site's certificate or TLS setup is not accepted"),
)  # fmt: skip


def describe_network_error(exc: BaseException) -> str:
    """``"<what it means>: <the error>"`` for known network failures, else the error itself."""
    names = [cls.__name__ for cls in type(exc).__mro__]
    for markers, hint in _HINTS:
        if any(marker in name for name in names for marker in markers):
            return f"{hint} ({exc})"
    return f"{type(exc).__name__}: {exc}"
