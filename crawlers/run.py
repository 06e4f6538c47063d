"""`python -m crawlers.run --source ID ... --json`: one crawl batch, one process.

The crawl config comes from the parent as JSON on stdin (``--config-stdin``; a config with a
thousand sources is larger than an environment variable may be), else in
$POLICYWATCH_CRAWL_CONFIG (crawlers.crawl_config; built-in defaults without either): this
process reads no config file.

All selected sources run concurrently in one CrawlerProcess (Scrapy's reactor cannot be
restarted, so every batch gets a fresh process; that also returns its memory). Progress
goes to stderr; the per-source health is printed on stdout (JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from crawlers.crawl_config import ENV_VAR, CrawlConfig, LogSettings
from crawlers.health import SourceHealth
from crawlers.logging_setup import configure_logging
from crawlers.processes import exit_with_parent
from crawlers.registry import select_sources

log = logging.getLogger("crawlers")


def _quiet_scrapy(log_settings: LogSettings) -> None:
    """Our one-line-per-event log on stderr; Scrapy's own chatter only when debugging."""
    configure_logging(log_settings)
    quiet_scrapy_loggers(log_settings)


def quiet_scrapy_loggers(log_settings: LogSettings) -> None:
    """Scrapy's and Twisted's loggers at WARNING (DEBUG when debugging), ours at the set level."""
    level = getattr(logging, log_settings.level)
    logging.getLogger("crawlers").setLevel(level)
    for name in ("scrapy", "py.warnings", "twisted"):
        logging.getLogger(name).setLevel(logging.DEBUG if level == logging.DEBUG else logging.WARNING)
    # the spider reports each failed download once, with a hint; these repeat it with tracebacks
    for name in ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt"):
        logging.getLogger(name).setLevel(logging.DEBUG if level == logging.DEBUG else logging.CRITICAL)


def crawl_settings(config: CrawlConfig) -> Any:
    """Scrapy settings for a crawl of ``config`` (the project module, the config handed down)."""
    from scrapy.utils.project import get_project_settings

    from crawlers.spiders.trs import CRAWL_CONFIG_SETTING

    settings = get_project_settings()
    if not settings.get("BOT_NAME") or settings.get("BOT_NAME") == "scrapybot":
        settings.setmodule("crawlers.settings", priority="project")
    settings.set(CRAWL_CONFIG_SETTING, config, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    return settings


def final_health(source_id: str, crawler: Any, failure: str | None) -> SourceHealth:
    """What the spider recorded at its close, or a failing health when it never got there."""
    health = getattr(crawler.spider, "final_health", None)
    if health is None:
        health = SourceHealth(source_id, "failing", errors=1, message=failure or "the crawl did not finish")
    return health


def _spare_the_collector() -> None:
    """Keep the cyclic GC off what start-up loaded, and let it run less often.

    A crawl allocates for every response; with the defaults each full collection walked
    every module, class and spider loaded before the crawl. Measured on bench/crawl_site's
    2,280 pages, alternating: 10.2 CPU s as it was, 9.2 with the heap frozen, 8.7 with
    also 10,000 allocations between young collections (was 700). Garbage is still collected.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def crawl_in_process(config: CrawlConfig, source_ids: list[str] | None) -> list[SourceHealth]:
    """Run the sources' spiders in this process (once per process: the reactor cannot restart)."""
    from scrapy.crawler import CrawlerProcess

    from crawlers.spiders.sources import spider_class

    sources = select_sources(config, source_ids)
    for name in ("scrapy.utils.log", "scrapy.crawler"):  # the start-up banner (survives dictConfig)
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.WARNING)
    process = CrawlerProcess(crawl_settings(config))
    _quiet_scrapy(config.log)
    crawlers = []
    failures: dict[str, str] = {}

    def failed(failure: Any, source_id: str) -> None:
        failures[source_id] = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        log.error("%s: crawl failed: %s", source_id, failures[source_id])

    for source in sources:
        crawler = process.create_crawler(spider_class(source))
        crawlers.append((source.id, crawler))
        process.crawl(crawler).addErrback(failed, source.id)
    _spare_the_collector()
    process.start()
    return [final_health(source_id, crawler, failures.get(source_id)) for source_id, crawler in crawlers]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description=__doc__)
    parser.add_argument("--source", action="append", metavar="ID", help="source id (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the health as JSON")
    parser.add_argument(
        "--config-stdin",
        action="store_true",
        help=f"read the crawl config as JSON from stdin (else ${ENV_VAR})",
    )
    args = parser.parse_args(argv)
    exit_with_parent()
    try:
        config = (
            CrawlConfig.from_json(sys.stdin.buffer.read().decode("utf-8"))
            if args.config_stdin
            else CrawlConfig.from_environment()
        )
        select_sources(config, args.source)
    except ValueError as exc:  # a broken hand-over, an unusable source, an unknown id
        print(f"crawlers.run: config error: {exc}", file=sys.stderr)
        return 2
    _quiet_scrapy(config.log)
    results = crawl_in_process(config, args.source)
    if args.json:
        out = json.dumps([h.to_json() for h in results], ensure_ascii=False)
        sys.stdout.flush()
        sys.stdout.buffer.write(out.encode("utf-8") + b"\n")  # the parent reads UTF-8
    else:
        for h in results:
            print(f"{h.source_id}\t{h.status}\t{h.items_seen}\t{h.new_documents}\t{h.changed_documents}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
