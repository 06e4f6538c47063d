"""Where finished messages go: an SMTP server, or .eml files in an outbox folder.

Transports classify failures so the sender knows what to do: a :class:`PermanentFailure`
(5xx for this recipient) is recorded and never retried; a :class:`TransientFailure` (4xx,
timeouts) is retried with backoff; with ``whole_run`` set (server down, login refused) the
rest of this run's messages are left for the next run instead of each waiting for a timeout.
Nothing here logs message content, addresses' tokens or the SMTP password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import smtplib
import ssl
import tempfile
from pathlib import Path
from typing import NoReturn, Protocol

log = logging.getLogger(__name__)


class DeliveryFailure(Exception):
    """A message was not accepted."""


class PermanentFailure(DeliveryFailure):
    """The server refused this message or recipient for good (5xx)."""


class TransientFailure(DeliveryFailure):
    """Try again later; ``whole_run`` means no other message can get through now either."""

    def __init__(self, reason: str, *, whole_run: bool = False) -> None:
        super().__init__(reason)
        self.whole_run = whole_run


class Transport(Protocol):
    description: str

    def send(self, sender: str, recipient: str, data: bytes, message_id: str, when: dt.datetime) -> str:
        """Hand over one message; return where it went (for the log). Raise DeliveryFailure."""
        ...

    def close(self) -> None: ...


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}"[:500]


class SmtpTransport:
    """One connection per run, opened on first use; STARTTLS, implicit TLS or plain.

    The server's certificate is always verified (host name included): against the system
    trust store, or against ``ca_file`` (a PEM bundle) for a server with a private CA.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str = "",
        password: str | None = None,
        timeout: float = 30,
        ca_file: str | Path | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self._password, self.timeout = username, password, timeout
        self.ca_file = str(ca_file) if ca_file else None
        self._conn: smtplib.SMTP | None = None
        self.description = f"smtp://{host}:{port} ({security})"

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            # A configuration problem, but nothing is lost: the run stops, deliveries wait.
            raise TransientFailure(
                f"cannot load smtp.ca_file {self.ca_file}: {exc}", whole_run=True
            ) from None

    def _handshake(self, context: ssl.SSLContext | None) -> smtplib.SMTP:
        """Connect, EHLO, TLS as configured, log in; the socket is closed if any step fails."""
        conn: smtplib.SMTP
        if self.security == "tls":
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            conn.ehlo()
            if self.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if self.username:
                conn.login(self.username, self._password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self) -> smtplib.SMTP:
        context = self._tls_context() if self.security in ("tls", "starttls") else None
        try:
            conn = self._handshake(context)
        except smtplib.SMTPAuthenticationError as exc:
            raise TransientFailure(
                f"SMTP login refused: {_reply(exc.smtp_code, exc.smtp_error)}", whole_run=True
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise TransientFailure(f"SMTP server lacks a required extension: {exc}", whole_run=True) from None
        except ssl.SSLCertVerificationError as exc:
            hint = "" if self.ca_file else " (a private CA? set smtp.ca_file)"
            raise TransientFailure(
                f"TLS certificate of SMTP server {self.host}:{self.port} not trusted: "
                f"{exc.verify_message or exc.reason}{hint}",
                whole_run=True,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientFailure(
                f"cannot reach SMTP server {self.host}:{self.port}: {exc}", whole_run=True
            ) from None
        log.info("connected to %s", self.description)
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def _fail(self, code: int, reason: str) -> NoReturn:
        """A reply refusing this message: 5xx for good, 4xx later. After a 421 smtplib has
        closed the connection, so the rest of the run waits too (no digest tried on it)."""
        if 500 <= code < 600:
            raise PermanentFailure(reason) from None
        if code == 421:
            self._drop()
            raise TransientFailure(reason, whole_run=True) from None
        raise TransientFailure(reason) from None

    def send(self, sender: str, recipient: str, data: bytes, message_id: str, when: dt.datetime) -> str:
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, (0, b"refused"))
            self._fail(code, f"recipient refused: {_reply(code, text)}")
        except smtplib.SMTPSenderRefused as exc:
            # The sender address is a configuration problem: every message would fail alike.
            raise TransientFailure(
                f"sender refused: {_reply(exc.smtp_code, exc.smtp_error)}", whole_run=True
            ) from None
        except smtplib.SMTPDataError as exc:
            self._fail(exc.smtp_code, f"message refused: {_reply(exc.smtp_code, exc.smtp_error)}")
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise TransientFailure(
                f"SMTP error: {_reply(exc.smtp_code, exc.smtp_error)}", whole_run=exc.smtp_code == 421
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TransientFailure(f"SMTP connection lost: {exc}", whole_run=True) from None
        return self.description

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._conn = None


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


class EmlTransport:
    """Writes each message as ``<timestamp>-<subscriber>-<id>.eml`` (the no-SMTP default).

    The id part comes from the Message-ID, so re-sending the same digest after a crash finds
    the file already there and does not write a second one.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = f"outbox folder {folder}"

    def send(self, sender: str, recipient: str, data: bytes, message_id: str, when: dt.datetime) -> str:
        ident = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:16]
        who = _UNSAFE.sub("_", recipient)[:80]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            existing = sorted(self.folder.glob(f"*-{who}-{ident}.eml"))
            if existing:
                return str(existing[0])
            path = self.folder / f"{when.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{who}-{ident}.eml"
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise TransientFailure(f"cannot write to {self.folder}: {exc}", whole_run=True) from None
        return str(path)

    def close(self) -> None:
        return None
