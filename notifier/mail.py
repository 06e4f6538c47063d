"""Building email messages safely: header hygiene, deterministic Message-IDs, the MIME policy.

Crawled text ends up in subjects and display names, so every header value is forced onto
one line without control characters and encoded by the email package (RFC 2047), never
concatenated by hand. List-Unsubscribe is the one header written verbatim: its URLs must
survive intact, which the generic folding (it encodes long "words") would not allow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

from rules.display import one_line

_VERBATIM = frozenset({"list-unsubscribe", "list-unsubscribe-post"})


class MailPolicy(EmailPolicy):
    """SMTP policy (CRLF, 78-column folding) except for headers that carry URLs."""

    def _verbatim(self, name: str, value: Any) -> str:
        text = str(value)
        if any(ch in text for ch in "\r\n") or not text.isascii():
            raise ValueError(f"{name} must be one line of ASCII")
        # Fold only between list items ("<a>, <b>"), which RFC 2369 allows.
        return f"{name}: " + text.replace(", <", "," + self.linesep + " <") + self.linesep

    def fold(self, name: str, value: Any) -> str:
        if name.lower() in _VERBATIM:
            return self._verbatim(name, value)
        return super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() in _VERBATIM:
            return self._verbatim(name, value).encode("ascii")
        return super().fold_binary(name, value)


MAIL_POLICY = MailPolicy(linesep="\r\n")


def header_text(value: Any, limit: int = 200) -> str:
    """Untrusted text made fit for a header: one line, no control characters, bounded."""
    return one_line("" if value is None else value, limit)


def address(email: str, name: str | None = None) -> Address:
    """An address header value; the display name is cleaned and encoded by the email package."""
    local, _, domain = email.partition("@")
    return Address(display_name=header_text(name or "", 80), username=local, domain=domain)


def sender_domain(sender: str) -> str:
    domain = sender.rpartition("@")[2].strip().lower()
    return domain or "localhost"


def message_id(kind: str, parts: Iterable[object], domain: str) -> str:
    """A deterministic Message-ID: the same digest (same subscriber, same changes) gets the same id.

    A retry after a crash between the server's acceptance and our commit therefore carries the
    same Message-ID, which lets mail clients and archives fold the duplicate.
    """
    material = "\0".join([kind, *(str(p) for p in parts)]).encode("utf-8")
    return f"<pw-{kind}-{hashlib.sha256(material).hexdigest()[:32]}@{domain}>"


def new_message(
    *,
    sender: str,
    sender_name: str,
    to: str,
    to_name: str | None,
    subject: str,
    msg_id: str,
    date: dt.datetime,
    reply_to: str = "",
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """An EmailMessage with the standard headers set; the caller adds the body parts."""
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = address(sender, sender_name)
    msg["To"] = address(to, to_name)
    if reply_to:
        msg["Reply-To"] = address(reply_to)
    msg["Subject"] = header_text(subject, 200)
    msg["Date"] = format_datetime(date.astimezone(dt.UTC))
    msg["Message-ID"] = msg_id
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    return msg
