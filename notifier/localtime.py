"""Times as people read them: in the configured timezone (``schedule.timezone``), to the minute.

Stored times are UTC; nobody reading a report, a digest or `policywatch status` should have
to convert a raw UTC ISO string in their head.
"""

from __future__ import annotations

import datetime as dt

FORMAT = "%Y-%m-%d %H:%M"


def local_time(value: dt.datetime, tz: dt.tzinfo | None) -> str:
    """``value`` in ``tz`` as 2026-11-20 08:00 (None: as given)."""
    return (value.astimezone(tz) if tz is not None else value).strftime(FORMAT)
