"""One line per event to stderr (and optionally a rotated file); never secrets."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from policywatch.config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(config: Config, verbosity: int = 0) -> None:
    level_name = config["log"]["level"]
    if verbosity == 1:
        level_name = "INFO" if level_name in ("WARNING", "ERROR") else "DEBUG"
    elif verbosity >= 2:
        level_name = "DEBUG"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_policywatch", False):
            root.removeHandler(handler)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if config["log"]["file"]:
        path = config.path("log", "file")
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                path,
                maxBytes=config["log"]["max_bytes"],
                backupCount=config["log"]["backups"],
                encoding="utf-8",
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
