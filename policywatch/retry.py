"""When a source that could not be read is crawled again: exponential backoff from its records.

A failed (or blocked, or otherwise not ok) crawl is retried by the next `policywatch run`, or
by the daemon, without waiting for the source's next cron slot: 5 minutes after the first
failure, then 10, 20, 40 … at most 4 hours between tries, counted from the end of the last
attempt. Failures in a row and the last attempt come from the database's crawl records
(storage.coverage), so cron runs, daemon restarts and several hosts all agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from notifier.localtime import local_time
from storage.coverage import SourceReading

RETRY_FIRST = dt.timedelta(minutes=5)
RETRY_CAP = dt.timedelta(hours=4)
_MAX_DOUBLINGS = 6  # 5 min * 2**6 > 4 h: more doublings change nothing (and cannot overflow)


def retry_delay(failures: int) -> dt.timedelta:
    """The wait after ``failures`` failed crawls in a row: 5, 10, 20 … minutes, at most 4 hours."""
    return min(RETRY_FIRST * 2 ** min(max(0, failures - 1), _MAX_DOUBLINGS), RETRY_CAP)


@dataclass(frozen=True)
class RetryWait:
    """A source that could not be read and the time it may be crawled again."""

    reading: SourceReading
    at: dt.datetime

    def describe(self, tz: dt.tzinfo) -> str:
        r = self.reading
        return (
            f"{r.source.id} ({r.status}, {r.failures} failed crawl(s) in a row): "
            f"retried from {local_time(self.at, tz)}"
        )


def retry_wait(reading: SourceReading) -> RetryWait | None:
    """When a source whose latest crawl failed may be crawled again (None: read, or never crawled)."""
    if reading.read or reading.last_attempt_at is None:
        return None
    return RetryWait(reading, reading.last_attempt_at + retry_delay(reading.failures))
