"""Engines and sessions: SQLite (WAL, foreign keys) by default, PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, InterfaceError
from sqlalchemy.exc import OperationalError as SAOperationalError
from sqlalchemy.orm import Session, sessionmaker

# A SQLite file in the working directory: what runs when nothing else is configured.
DEFAULT_URL = "sqlite:///policywatch.db"


_BACKENDS = ("sqlite", "postgresql")
PG_CONNECT_TIMEOUT = 10  # seconds: a server that accepts but never answers must not hang a run


def database_url_problem(url: str) -> str | None:
    """What a usable database URL looks like, when ``url`` is not one (checked at config load)."""
    expected = "an SQLAlchemy URL like sqlite:///policywatch.db or postgresql+psycopg://user@host/db"
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except (ArgumentError, ValueError):
        return expected
    if backend not in _BACKENDS:
        return f"{expected} (unknown database kind {backend!r})"
    return None


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used; the message names it with the password masked."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas policywatch relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE works for writers.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if parsed.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL never corrupts and survives a process crash; only an OS crash
                # may lose the last commits (re-fetched next poll). FULL fsyncs every item.
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", PG_CONNECT_TIMEOUT)
    return create_engine(url, **kwargs)


@contextmanager
def reported_as_unavailable(url: str) -> Iterator[None]:
    """Driver errors (refused, no such database, unwritable file, disk full …) as one line."""
    try:
        yield
    except (SAOperationalError, InterfaceError, DatabaseError) as exc:
        reason = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
        detail = reason[0] if reason else type(exc).__name__
        raise DatabaseUnavailable(f"cannot use the database {safe_url(url)}: {detail}") from None


def safe_url(url: str) -> str:
    """The URL with any password masked, for logs and `config show`."""
    return make_url(url).render_as_string(hide_password=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
