"""`python -m crawlers.run --config PATH --source ID ... --json`: one crawl batch, one process.

All selected sources run concurrently in one CrawlerProcess (Scrapy's reactor cannot be
restarted, so every batch gets a fresh process; that also returns its memory). Progress
goes to stderr; the per-source health is printed on stdout (JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from crawlers.health import SourceHealth
from crawlers.registry import select_sources
from policywatch.config import Config, ConfigError, load_config
from policywatch.logging_setup import configure_logging

log = logging.getLogger("crawlers")


def _quiet_scrapy(config: Config) -> None:
    """Our one-line-per-event log on stderr; Scrapy's own chatter only when debugging."""
    configure_logging(config)
    level = getattr(logging, config["log"]["level"])
    logging.getLogger("crawlers").setLevel(level)
    for name in ("scrapy", "py.warnings", "twisted"):
        logging.getLogger(name).setLevel(logging.DEBUG if level == logging.DEBUG else logging.WARNING)


def crawl_in_process(config_path: str | None, source_ids: list[str] | None) -> list[SourceHealth]:
    """Run the sources' spiders in this process (once per process: the reactor cannot restart)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawlers.spiders.sources import spider_class
    from crawlers.spiders.trs import CONFIG_SETTING

    config = load_config(config_path)
    sources = select_sources(config, source_ids)
    settings = get_project_settings()
    if not settings.get("BOT_NAME") or settings.get("BOT_NAME") == "scrapybot":
        settings.setmodule("crawlers.settings", priority="project")
    settings.set(CONFIG_SETTING, config_path or "", priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    for name in ("scrapy.utils.log", "scrapy.crawler"):  # the start-up banner (survives dictConfig)
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.WARNING)
    process = CrawlerProcess(settings)
    _quiet_scrapy(config)
    crawlers = []
    failures: dict[str, str] = {}

    def failed(failure: Any, source_id: str) -> None:
        failures[source_id] = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        log.error("%s: crawl failed: %s", source_id, failures[source_id])

    for source in sources:
        crawler = process.create_crawler(spider_class(source))
        crawlers.append((source.id, crawler))
        process.crawl(crawler).addErrback(failed, source.id)
    process.start()
    results = []
    for source_id, crawler in crawlers:
        health = getattr(crawler.spider, "final_health", None)
        if health is None:
            message = failures.get(source_id, "the crawl did not finish")
            health = SourceHealth(source_id, "failing", errors=1, message=message)
        results.append(health)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description=__doc__)
    parser.add_argument("--config", metavar="PATH")
    parser.add_argument("--source", action="append", metavar="ID", help="source id (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the health as JSON")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        select_sources(config, args.source)
    except ConfigError as exc:
        print(f"crawlers.run: config error: {exc}", file=sys.stderr)
        return 2
    _quiet_scrapy(config)
    results = crawl_in_process(args.config, args.source)
    if args.json:
        print(json.dumps([h.to_json() for h in results], ensure_ascii=False))
    else:
        for h in results:
            print(f"{h.source_id}\t{h.status}\t{h.items_seen}\t{h.new_documents}\t{h.changed_documents}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
