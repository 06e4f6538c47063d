"""The config sections policywatch reads itself, typed; their fields are the schema of their keys.

Field metadata as described in policywatch/config.py, which validates and loads them. The
crawl-related sections are in crawlers/crawl_config.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.database import DEFAULT_URL


@dataclass(frozen=True)
class DatabaseSettings:
    """[database]"""

    url: str = field(
        default=DEFAULT_URL,
        metadata={
            "doc": "SQLAlchemy URL; SQLite file in the working directory by default, "
            "or postgresql+psycopg://user@host/db.",
            "format": "database_url",
        },
    )
    password_env: str = field(
        default="",
        metadata={
            "doc": "Environment variable holding the database password (inserted into the URL).",
            "secret_env": True,
        },
    )


@dataclass(frozen=True)
class SmtpSettings:
    """[smtp]: the mail server digests and alerts go through."""

    host: str = field(
        default="",
        metadata={"doc": "SMTP server; empty means write .eml files to notify.outbox_dir instead."},
    )
    port: int = field(default=587, metadata={"doc": "SMTP port.", "min": 1, "max": 65535})
    security: str = field(
        default="starttls",
        metadata={"doc": "starttls, tls (implicit) or none.", "choices": ("starttls", "tls", "none")},
    )
    ca_file: str = field(
        default="",
        metadata={
            "doc": "PEM file of CA certificates trusted for the SMTP server's TLS certificate "
            "(a private CA); empty: the system trust store.",
            "format": "existing_file",
            "optional": True,
        },
    )
    username: str = field(default="", metadata={"doc": "SMTP user name (empty: no login)."})
    password_env: str = field(
        default="POLICYWATCH_SMTP_PASSWORD",
        metadata={"doc": "Environment variable holding the SMTP password.", "secret_env": True},
    )
    sender: str = field(default="policywatch@localhost", metadata={"doc": "From address.", "format": "email"})
    reply_to: str = field(
        default="",
        metadata={"doc": "Reply-To address (optional).", "format": "email", "optional": True},
    )
    max_messages_per_run: int = field(
        default=200,
        metadata={"doc": "Rate limit: messages sent per run; the rest wait for the next run.", "min": 1},
    )
    timeout_seconds: int = field(default=30, metadata={"doc": "SMTP connection timeout.", "min": 1})


@dataclass(frozen=True)
class NotificationSettings:
    """[notify]: when digests go out, where alerts go, how unsubscribing works."""

    outbox_dir: str = field(
        default="outbox", metadata={"doc": "Folder for .eml files when no SMTP host is set."}
    )
    operator_email: str = field(
        default="",
        metadata={
            "doc": "Where operator alerts go (blocked sources, suspect versions); "
            "also the List-Unsubscribe mailto.",
            "format": "email",
            "optional": True,
        },
    )
    public_url: str = field(
        default="",
        metadata={
            "doc": "Public https URL of the unsubscribe endpoint (policywatch unsubscribe-server "
            "behind a TLS reverse proxy); enables one-click unsubscribe links.",
            "format": "https_url",
            "optional": True,
        },
    )
    signing_key_env: str = field(
        default="POLICYWATCH_SIGNING_KEY",
        metadata={
            "doc": "Environment variable holding the key that signs unsubscribe tokens.",
            "secret_env": True,
        },
    )
    templates_dir: str = field(
        default="",
        metadata={
            "doc": "Folder whose templates override the built-in digest templates.",
            "format": "existing_dir",
            "optional": True,
        },
    )
    daily_hour: int = field(
        default=8,
        metadata={"doc": "Hour (in schedule.timezone) when daily digests go out.", "min": 0, "max": 23},
    )
    weekly_day: str = field(
        default="mon",
        metadata={
            "doc": "Day weekly digests go out.",
            "choices": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        },
    )
    alert_after_failures: int = field(
        default=3,
        metadata={"doc": "Consecutive failed crawls of a source before the operator is alerted.", "min": 1},
    )
    alert_reminder_hours: int = field(
        default=24, metadata={"doc": "Reminder interval while an alert is unresolved.", "min": 1}
    )


@dataclass(frozen=True)
class ChannelSettings:
    """[channels]: group robots, webhooks and the Atom feed (subscribers' robot URLs are in the database)."""

    timeout_seconds: int = field(
        default=10, metadata={"doc": "Timeout of one group-robot or webhook request.", "min": 1, "max": 120}
    )
    dingtalk_secret_env: str = field(
        default="",
        metadata={
            "doc": "Environment variable holding the signing secret of DingTalk robots subscribed without "
            "--secret-env (empty or unset: unsigned).",
            "secret_env": True,
        },
    )
    feishu_secret_env: str = field(
        default="",
        metadata={
            "doc": "Environment variable holding the signing secret of Feishu/Lark bots subscribed without "
            "--secret-env (empty or unset: unsigned).",
            "secret_env": True,
        },
    )
    feed_path: str = field(
        default="",
        metadata={
            "doc": "Path at which `policywatch unsubscribe-server` also serves the Atom feed (e.g. /feed.atom; "
            "?region=, ?kind=, ?all=1 filter it); empty: not served.",
            "format": "url_path",
            "optional": True,
        },
    )


@dataclass(frozen=True)
class ScheduleSettings:
    """[schedule]: when the daemon (and `policywatch run`) crawl and notify."""

    timezone: str = field(
        default="Asia/Shanghai", metadata={"doc": "Timezone of every cron expression.", "format": "timezone"}
    )
    crawl: str = field(
        default="0 7,13,19 * * *",
        metadata={
            "doc": "When every source is crawled (cron; 6 fields = seconds first, e.g. for tests).",
            "format": "cron",
        },
    )
    notify: str = field(
        default="*/15 * * * *",
        metadata={"doc": "When the daemon sends due digests (cron).", "format": "cron"},
    )
    misfire_grace_seconds: int = field(
        default=3600, metadata={"doc": "A run missed by less than this still runs late.", "min": 1}
    )
    jitter_seconds: int = field(
        default=120, metadata={"doc": "Random delay added to each source's scheduled crawl.", "min": 0}
    )
    shutdown_grace_seconds: int = field(
        default=60,
        metadata={
            "doc": "On SIGTERM, how long a running crawl may finish before it is cancelled.",
            "min": 0,
        },
    )
    lease_seconds: int = field(
        default=60,
        metadata={
            "doc": "One daemon per database: its lock lapses this long after the holder's last heartbeat.",
            "min": 3,
        },
    )


@dataclass(frozen=True)
class ParseSettings:
    """[parse]: limits for reading one document (a hostile file must not stall or exhaust the machine)."""

    timeout_seconds: int = field(
        default=120,
        metadata={
            "doc": "Longest a document may take to parse; then it is stopped and reported (`timeout`).",
            "min": 1,
        },
    )
    memory_mb: int = field(
        default=2048,
        metadata={
            "doc": "Address space of the parse worker process; a document needing more is reported (`too_large`).",
            "min": 512,
        },
    )
