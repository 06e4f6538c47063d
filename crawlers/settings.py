"""Scrapy project settings (``scrapy.cfg`` points here) and the mapping from policywatch config.

The static part below is what every crawl shares; ``settings_from_config`` turns the
``[crawl]`` section into Scrapy settings (politeness, retries, size limit). Spiders apply it
in ``update_settings``, so ``scrapy crawl ID`` and ``python -m crawlers.run`` behave alike.
"""

from __future__ import annotations

from typing import Any

from policywatch import __version__
from policywatch.config import Config

BOT_NAME = "policywatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

ITEM_PIPELINES = {"crawlers.pipelines.StoragePipeline": 300}
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.RetryBackoffMiddleware": 560,
    "crawlers.middlewares.OffsiteRedirectMiddleware": 650,
}

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
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
EXTENSIONS = {"scrapy.extensions.remote_control.RemoteControl": None}  # no listening ports
HTTPCACHE_ENABLED = False  # validators live in the database (FetchState)
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"


def user_agent(config: Config) -> str:
    crawl = config["crawl"]
    return str(crawl["user_agent"]).format(version=__version__, contact=crawl["contact"])


def settings_from_config(config: Config) -> dict[str, Any]:
    """Scrapy settings for the ``[crawl]`` section of a policywatch config."""
    crawl = config["crawl"]
    delay = float(crawl["download_delay"])
    return {
        "USER_AGENT": user_agent(config),
        "ROBOTSTXT_OBEY": bool(crawl["obey_robots_txt"]),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(crawl["concurrent_requests_per_domain"]),
        "DOWNLOAD_DELAY": delay,
        # AutoThrottle only ever slows down; with no delay (tests, benchmarks) it is off.
        "AUTOTHROTTLE_ENABLED": delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay * 10),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "RETRY_TIMES": int(crawl["retries"]),
        "RETRY_BACKOFF_BASE": float(crawl["retry_backoff_seconds"]),
        "DOWNLOAD_TIMEOUT": int(crawl["timeout_seconds"]),
        "DOWNLOAD_MAXSIZE": int(crawl["max_download_bytes"]),
        "LOG_LEVEL": "DEBUG" if config["log"]["level"] == "DEBUG" else "INFO",
    }
