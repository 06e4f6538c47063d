"""Lease locks in the ``process_locks`` table: one daemon (or `run`) per database.

A row per lock name holds the holder and its last heartbeat. Taking the lock is a single
INSERT (ignoring a duplicate) or a conditional UPDATE that only succeeds when the lease
has lapsed, so two processes racing on SQLite or PostgreSQL cannot both win: the database
decides, not a read-then-write. A holder that dies stops heartbeating and its lease lapses
after ``lease`` seconds; a holder on this very host whose process is gone is replaced at
once (see ``holder_is_dead_here``), so a restart after ``kill -9`` does not wait.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from storage.documents import insert_ignoring_duplicates
from storage.tables import process_locks, utcnow


@dataclass(frozen=True)
class LockState:
    name: str
    holder: str
    acquired_at: dt.datetime
    heartbeat_at: dt.datetime


def make_holder(token: str) -> str:
    """``host:pid:token``: readable in messages, and lets a restart spot its dead predecessor."""
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def holder_is_dead_here(holder: str) -> bool:
    """The holder ran on this host and its process no longer exists."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else
        return False
    return False


def _rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def try_acquire(
    session: Session, name: str, holder: str, lease: float, now: dt.datetime | None = None
) -> bool:
    """Take the lock if it is free, lapsed, already ours, or held by a dead process on this host."""
    now = now or utcnow()
    values = {"name": name, "holder": holder, "acquired_at": now, "heartbeat_at": now}
    if insert_ignoring_duplicates(session, process_locks, values):
        return True
    lapsed = now - dt.timedelta(seconds=lease)
    current = session.scalar(select(process_locks.c.holder).where(process_locks.c.name == name))
    condition = process_locks.c.heartbeat_at < lapsed
    if current is not None and (current == holder or holder_is_dead_here(current)):
        # Compare-and-swap on the holder we saw: a racing process that took it first wins.
        condition = process_locks.c.holder == current
    result = session.execute(
        update(process_locks)
        .where(process_locks.c.name == name, condition)
        .values(holder=holder, acquired_at=now, heartbeat_at=now)
    )
    return _rowcount(result) == 1


def heartbeat(session: Session, name: str, holder: str, now: dt.datetime | None = None) -> bool:
    """Extend our lease; False means it is no longer ours (it lapsed and someone took it)."""
    result = session.execute(
        update(process_locks)
        .where(process_locks.c.name == name, process_locks.c.holder == holder)
        .values(heartbeat_at=now or utcnow())
    )
    return _rowcount(result) == 1


def release(session: Session, name: str, holder: str) -> bool:
    """Give the lock up (only if it is still ours)."""
    result = session.execute(
        delete(process_locks).where(process_locks.c.name == name, process_locks.c.holder == holder)
    )
    return _rowcount(result) == 1


def lock_state(session: Session, name: str) -> LockState | None:
    row = session.execute(select(process_locks).where(process_locks.c.name == name)).first()
    if row is None:
        return None
    acquired, beat = row.acquired_at, row.heartbeat_at
    assert acquired is not None and beat is not None
    return LockState(row.name, row.holder, acquired, beat)


__all__ = [
    "LockState",
    "heartbeat",
    "holder_is_dead_here",
    "lock_state",
    "make_holder",
    "release",
    "try_acquire",
]
