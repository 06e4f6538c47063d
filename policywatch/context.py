"""What every command needs: the effective config, a database at the current schema, and the
crawl child processes it has running (so that shutdown can cancel them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crawlers.in_process import InProcessCrawler
from crawlers.processes import CrawlProcesses
from policywatch.config import Config
from storage.database import make_engine, session_factory
from storage.schema import ensure_schema
from storage.tables import utcnow


class OperationalError(Exception):
    """A failure the operator must act on; the CLI prints it and exits 1."""


@dataclass
class AppContext:
    config: Config
    json_output: bool = False
    fixed_now: dt.datetime | None = None  # the hidden --now: decide as if it were this time (tests)
    crawl_processes: CrawlProcesses = field(default_factory=CrawlProcesses, repr=False)
    # The daemon's crawls run here, warm (crawlers/in_process.py); None: a child per crawl.
    in_process_crawler: InProcessCrawler | None = field(default=None, repr=False)
    _schema_checked: bool = field(default=False, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.config.database_url)

    def now(self) -> dt.datetime:
        """The time commands decide by (what is due, "as of" in reports): the clock, or --now."""
        return self.fixed_now or utcnow()

    def database(self) -> sessionmaker[Session]:
        """Sessions on a database at the current schema (a new database is created on first use)."""
        if not self._schema_checked:
            ensure_schema(self.engine)
            self._schema_checked = True
        return session_factory(self.engine)
