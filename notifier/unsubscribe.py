"""Unsubscribe links: HMAC-signed tokens and the RFC 2369 / RFC 8058 headers.

A token names the subscriber and is bound to the address, so it cannot be forged without
the key nor replayed for another mailbox; it carries no expiry because an unsubscribe link
in an old mail must keep working. Tokens are secrets of a kind: never log them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

_PURPOSE = b"policywatch-unsubscribe-v1"


def _mac(key: str, subscriber_id: int, email: str) -> str:
    msg = _PURPOSE + b"\0" + str(subscriber_id).encode() + b"\0" + email.lower().encode("utf-8")
    digest = hmac.new(key.encode("utf-8"), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode("ascii").rstrip("=")


def make_token(key: str, subscriber_id: int, email: str) -> str:
    """``<id>.<mac>``: URL-safe, short enough for a header."""
    if not key:
        raise ValueError("an unsubscribe token needs a signing key")
    return f"{subscriber_id}.{_mac(key, subscriber_id, email)}"


def token_subscriber(token: str) -> int | None:
    """The subscriber id a token claims (verify it with :func:`verify_token` before acting)."""
    head, _, _ = token.partition(".")
    # ASCII digits that fit a database integer: anything else names nobody (and must not
    # reach int() or the database, which raise on huge numbers)
    return int(head) if head.isascii() and head.isdigit() and len(head) <= 18 else None


def verify_token(key: str, token: str, email: str) -> bool:
    """Whether the token was signed with ``key`` for this subscriber and address."""
    subscriber_id = token_subscriber(token)
    if not key or subscriber_id is None:
        return False
    expected = make_token(key, subscriber_id, email)
    return hmac.compare_digest(expected.encode(), token.encode())


def unsubscribe_url(public_url: str, token: str) -> str | None:
    """The one-click link, only for an https base URL (RFC 8058 requires https)."""
    parts = urlsplit(public_url)
    if parts.scheme != "https" or not parts.netloc:
        return None
    try:
        netloc = parts.netloc if parts.netloc.isascii() else parts.netloc.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = "&".join(q for q in (quote(parts.query, safe="=&%+-._~"), urlencode({"token": token})) if q)
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def mailto_url(address: str, email: str) -> str:
    """A mailto: the operator receives, with the address to remove in the subject."""
    return f"mailto:{quote(address, safe='@+')}?subject={quote('unsubscribe ' + email, safe='@')}"


def list_unsubscribe_headers(mailto: str | None, https_url: str | None) -> dict[str, str]:
    """``List-Unsubscribe`` (and ``List-Unsubscribe-Post`` when there is a one-click https link)."""
    targets = [f"<{t}>" for t in (mailto, https_url) if t]
    if not targets:
        return {}
    headers = {"List-Unsubscribe": ", ".join(targets)}
    if https_url:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers
