"""Shared test harness: databases (SQLite, PostgreSQL when configured), a fixture HTTP site,
an SMTP server, and a CLI runner. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from policywatch.site_server import SiteServer
from storage.database import make_engine, session_factory
from storage.schema import upgrade

FIXTURES = Path(__file__).parent / "fixtures"
PG_ENV = "POLICYWATCH_TEST_DATABASE_URL"


def _pg_url_with_schema(base_url: str, schema: str) -> str:
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on PostgreSQL."""
    base = os.environ.get(PG_ENV)
    if not base:
        yield f"sqlite:///{tmp_path / 'policywatch.db'}"
        return
    schema = f"pw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url_with_schema(base, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def site_factory() -> Iterator[callable]:  # type: ignore[valid-type]
    """Start SiteServers on fixture folders; all are stopped at the end of the test."""
    servers: list[SiteServer] = []

    def start(root: Path | str, state: str = "base", **kwargs: object) -> SiteServer:
        root = Path(root)
        if not root.is_absolute():
            root = FIXTURES / root
        server = SiteServer(root, state, **kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)  # recipient -> "550 ..." reply


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A real aiosmtpd server on 127.0.0.1 that keeps every message it accepts."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", 0)

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            if address in sink.reject:
                return sink.reject[address]
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            sink.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 Message accepted for delivery"

    # aiosmtpd's start() connects to its own port to check readiness, so port=0 cannot be
    # used: take a free port from the OS first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        sink.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory with no config in the environment."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("POLICYWATCH_CONFIG", raising=False)
    return work
