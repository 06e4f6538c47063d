"""Cron expressions from the config, turned into APScheduler 3 triggers.

Two forms are accepted:
- the usual 5 fields ``minute hour day month day-of-week`` (``0 7,13,19 * * *``);
- 6 fields with seconds first, ``second minute hour day month day-of-week``
  (``*/5 * * * * *``), for tests and demos that need a cycle every few seconds.

Day-of-week numbers mean what they mean in crontab (0 or 7 = Sunday, 1 = Monday).
APScheduler 3's own ``from_crontab`` reads 0 as Monday (its issue 286), which would move a
"every Monday" digest to Tuesday, so numbers are translated to names here.
"""

from __future__ import annotations

import datetime as dt
import re

from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A day number not preceded by "/" (a step such as */2 stays a step).
_DAY_NUMBER = re.compile(r"(?<![/\d])([0-7])(?!\d)")


def _crontab_days(field: str) -> str:
    """Crontab day-of-week numbers (0/7 = Sunday) as APScheduler day names."""
    return _DAY_NUMBER.sub(lambda m: DAY_NAMES[int(m.group(1))], field)


def cron_trigger(expression: str, timezone: str | dt.tzinfo) -> CronTrigger:
    """A CronTrigger for a 5-field (minutes) or 6-field (seconds first) expression.

    Raises ValueError with a readable message for anything else.
    """
    fields = expression.split()
    if len(fields) == 5:
        second, (minute, hour, day, month, dow) = "0", fields
    elif len(fields) == 6:
        second, minute, hour, day, month, dow = fields
    else:
        raise ValueError(f"expected 5 or 6 fields, got {len(fields)}")
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_crontab_days(dow),
        timezone=timezone,
    )


def next_fire(expression: str, timezone: str, after: dt.datetime) -> dt.datetime | None:
    """The first fire time strictly after ``after`` (an aware datetime)."""
    trigger = cron_trigger(expression, timezone)
    return trigger.get_next_fire_time(None, after + dt.timedelta(microseconds=1))


def missed_since(expression: str, timezone: str, last: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a slot fell between ``last`` (a recorded run start) and ``now``.

    With no recorded run the job has never run: that counts as missed (first start).
    """
    if last is None:
        return True
    if last.tzinfo is None:  # stored times are UTC
        last = last.replace(tzinfo=dt.UTC)
    slot = next_fire(expression, timezone, last)
    return slot is not None and slot <= now
