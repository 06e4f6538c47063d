"""Politeness defaults and the health status rules (pure, fast)."""

from __future__ import annotations

from crawlers.health import HealthTracker
from crawlers.settings import settings_from_config
from policywatch.config import parse_config


def test_polite_defaults() -> None:
    config = parse_config('[crawl]\ncontact = "mailto:ops@example.org"\n', "test")
    settings = settings_from_config(config.crawl_config())
    assert "mailto:ops@example.org" in settings["USER_AGENT"]
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["DOWNLOAD_DELAY"] >= 1 and settings["AUTOTHROTTLE_ENABLED"]
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["DOWNLOAD_MAXSIZE"] == 20 * 1024 * 1024
    assert settings["RETRY_TIMES"] >= 1 and settings["RETRY_BACKOFF_BASE"] > 0


def test_test_settings_turn_throttling_off() -> None:
    config = parse_config("[crawl]\ndownload_delay = 0\nobey_robots_txt = false\nretries = 0\n", "test")
    settings = settings_from_config(config.crawl_config())
    assert settings["DOWNLOAD_DELAY"] == 0 and not settings["AUTOTHROTTLE_ENABLED"]
    assert settings["ROBOTSTXT_OBEY"] is False and settings["RETRY_TIMES"] == 0


def test_worst_problem_decides_the_status() -> None:
    tracker = HealthTracker("x")
    assert tracker.status() == "ok"
    tracker.error("a 404 detail page")
    assert tracker.status() == "ok" and tracker.errors == 1
    tracker.problem("empty", "list empty")
    tracker.error("list page 0: HTTP 500", failing=True)
    assert tracker.status() == "failing"
    tracker.problem("blocked", "412")
    health = tracker.result(new=1, changed=2, requests=3, bytes_downloaded=4)
    assert health.status == "blocked" and health.failed and health.errors == 2
    assert "blocked: 412" in health.message


def test_site_text_in_the_health_message_is_one_printable_line() -> None:
    tracker = HealthTracker("x")
    tracker.error("http://evil.example/\x1b[2J\r\nFAKE LOG LINE\u202e", failing=True)
    tracker.notes.append("x" * 1000)
    message = tracker.result(new=0, changed=0, requests=0, bytes_downloaded=0).message
    assert "\x1b" not in message and "\n" not in message and "\u202e" not in message
    assert "\\x1b[2J" in message and "FAKE LOG LINE" in message
    assert len(message) < 700
