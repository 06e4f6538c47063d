"""Scrapy project settings (``scrapy.cfg`` points here) and the mapping from the crawl config.

The static part below is what every crawl shares; ``settings_from_config`` turns the
``[crawl]`` section of a CrawlConfig into Scrapy settings (politeness, retries, size limit).
Spiders apply it in ``update_settings``, so ``scrapy crawl ID`` and ``python -m crawlers.run``
behave alike.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from crawlers.crawl_config import CrawlConfig, CrawlSettings

BOT_NAME = "policywatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

ITEM_PIPELINES = {"crawlers.pipelines.StoragePipeline": 300}
# The off-site rule replaces Scrapy's filter, at the points crawlers/offsite.py explains.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawlers.offsite.OffsiteRequestMiddleware": 50,
    "crawlers.middlewares.RetryBackoffMiddleware": 560,
    "crawlers.offsite.OffsiteRefreshMiddleware": 585,
    "crawlers.offsite.OffsiteRedirectMiddleware": 650,
}

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
# Scrapy starts this many tasks for the output of every response, however little it yields
# (an announcement: one item and an attachment or two); 100 cost a sixth of the crawl's CPU.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 2.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 %
AUTOTHROTTLE_ENABLED = True
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
COOKIES_ENABLED = False  # anti-bot cookies are not something to replay
TELNETCONSOLE_ENABLED = False
# Scrapy re-reads a callback's source on (almost) every response to warn about a generator
# that returns a value: its weak cache of bound methods never hits. ~4 % of a crawl's CPU.
WARN_ON_GENERATOR_RETURN_VALUE = False
EXTENSIONS = {"scrapy.extensions.remote_control.RemoteControl": None}  # no listening ports
HTTPCACHE_ENABLED = False  # validators live in the database (FetchState)
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"


def user_agent(crawl: CrawlSettings) -> str:
    """The configured User-Agent, with the installed policywatch version and the contact."""
    return crawl.user_agent.format(version=version("policywatch"), contact=crawl.contact)


def settings_from_config(config: CrawlConfig) -> dict[str, Any]:
    """Scrapy settings for the ``[crawl]`` section (and the log level) of a crawl config."""
    crawl = config.crawl
    delay = crawl.download_delay
    return {
        "USER_AGENT": user_agent(crawl),
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": delay,
        # AutoThrottle only ever slows down; with no delay (tests, benchmarks) it is off.
        "AUTOTHROTTLE_ENABLED": delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay * 10),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_BACKOFF_BASE": crawl.retry_backoff_seconds,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "DOWNLOAD_MAXSIZE": crawl.max_download_bytes,
        "LOG_LEVEL": "DEBUG" if config.log.level == "DEBUG" else "INFO",
    }
