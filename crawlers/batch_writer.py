"""One writer thread that commits a crawl's writes in batches: one transaction for what is queued.

A commit per item cost a third of the crawl's CPU, so the thread takes what has queued up
(at most ``max_jobs`` jobs, and it stops taking more once the transaction has been open
``max_seconds``) and writes it in one transaction. A job that fails (or a commit that
does) rolls the whole batch back, and then every job of it runs again in a transaction of
its own: only a job that fails by itself fails, and its caller gets the error, as with a
transaction per item. (A SAVEPOINT per job did the same without the replay, but cost about
8 % of a first crawl's CPU, for failures that almost never happen; jobs only write to the
database, so running one again after a rollback is safe.) A job's future resolves only
after the transaction holding it committed, so what a caller was told is stored survives
a crash. Jobs run in the order they were submitted (a page before its
attachments), all in one thread: off the reactor, so downloads go on while the database
works.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

Job = Callable[[Session], Any]


@dataclass
class _Queued:
    sessions: sessionmaker[Session]
    job: Job
    future: Future[Any] = field(default_factory=Future)


class BatchWriter:
    def __init__(
        self,
        max_jobs: int = 50,
        max_seconds: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_jobs = max_jobs
        self.max_seconds = max_seconds
        self.clock = clock
        self._queue: queue.SimpleQueue[_Queued] = queue.SimpleQueue()
        self._held: _Queued | None = None  # taken from the queue, but for another database
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, sessions: sessionmaker[Session], job: Job) -> Future[Any]:
        """Run ``job(session)`` in the next batch; the future resolves after its commit.

        ``job`` may run twice (see the module's docstring): it must only write to ``session``."""
        queued = _Queued(sessions, job)
        self._queue.put(queued)
        self._ensure_thread()
        return queued.future

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                # A daemon thread: every submitter awaits its future, so nothing is pending at exit.
                self._thread = threading.Thread(target=self._run, name="policywatch-store", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._held or self._queue.get()
            self._held = None
            if first.future.set_running_or_notify_cancel():
                self._write(first)

    def _more(self, batch: list[_Queued], opened: float) -> _Queued | None:
        """The next queued job for this batch, without waiting; None when the batch is full."""
        while len(batch) < self.max_jobs and self.clock() - opened < self.max_seconds:
            try:
                queued = self._queue.get_nowait()
            except queue.Empty:
                return None
            if queued.sessions is not batch[0].sessions:
                self._held = queued  # another database: it opens the next batch
                return None
            if queued.future.set_running_or_notify_cancel():
                return queued
        return None

    def _write(self, first: _Queued) -> None:
        batch = [first]
        results: list[Any] = []
        try:
            with first.sessions() as session, session.begin():
                opened = self.clock()
                queued: _Queued | None = first
                while queued is not None:
                    results.append(queued.job(session))
                    queued = self._more(batch, opened)
                    if queued is not None:
                        batch.append(queued)
        except Exception:  # a job or the commit failed: nothing of the batch is stored
            for queued in batch:  # each again, alone: only what fails by itself fails
                self._write_alone(queued)
            return
        except BaseException as exc:
            for queued in batch:
                queued.future.set_exception(exc)
            raise
        for queued, result in zip(batch, results, strict=True):
            queued.future.set_result(result)

    @staticmethod
    def _write_alone(queued: _Queued) -> None:
        try:
            with queued.sessions() as session, session.begin():
                result = queued.job(session)
        except Exception as exc:
            queued.future.set_exception(exc)
        else:
            queued.future.set_result(result)
