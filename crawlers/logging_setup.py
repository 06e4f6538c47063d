"""One line per event to stderr (and optionally a rotated file); never secrets.

Here rather than in policywatch/ because the crawl child, which imports nothing from the
application, logs to the same places as the command that started it.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from crawlers.crawl_config import LogSettings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log: LogSettings, verbosity: int = 0) -> None:
    """Log as [log] says (``log.file`` as given: policywatch makes it absolute); -v raises the level."""
    level_name = log.level
    if verbosity == 1:
        level_name = "INFO" if level_name in ("WARNING", "ERROR") else "DEBUG"
    elif verbosity >= 2:
        level_name = "DEBUG"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_policywatch", False):
            root.removeHandler(handler)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log.file:
        path = Path(log.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                path, maxBytes=log.max_bytes, backupCount=log.backups, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._policywatch = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(getattr(logging, level_name))
    # Third-party chatter stays at WARNING unless debugging.
    for noisy in ("scrapy", "twisted", "alembic", "filelock", "charset_normalizer", "pdfminer", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level_name == "DEBUG" else logging.WARNING)
