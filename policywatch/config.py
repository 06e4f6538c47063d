"""The TOML configuration: where it is found, its schema, and validation.

Order: ``--config PATH`` > ``$POLICYWATCH_CONFIG`` > ``./policywatch.toml`` > built-in
defaults. The schema below is the single source of the README's configuration reference
(``policywatch config reference`` prints it; a test keeps the README in step).
Secrets never live in the file: only the *names* of environment variables do.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_CONFIG = "POLICYWATCH_CONFIG"
DEFAULT_FILE = "policywatch.toml"


class ConfigError(Exception):
    """A config problem; the CLI prints it as one line and exits 2."""

    def __init__(self, origin: str, key: str, expected: str, got: Any = None) -> None:
        self.origin, self.key, self.expected = origin, key, expected
        shown = "" if got is None else f", got {got!r}"
        super().__init__(f"{origin}: {key}: expected {expected}{shown}")


def _check_cron(value: str) -> str | None:
    from policywatch.crontab import cron_trigger

    try:
        cron_trigger(value, timezone="UTC")
    except ValueError as exc:
        return f"a 5-field cron expression like '0 */6 * * *' (or 6 fields, seconds first) ({exc})"
    return None


def _check_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "an http:// or https:// URL with a host"
    return None


def _check_optional_url(value: str) -> str | None:
    return None if value == "" else _check_url(value)


EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$|^[^@\s<>\"',;]+@localhost$")


def _check_email(value: str) -> str | None:
    return None if EMAIL_RE.match(value) else "an email address like ops@example.org"


def _check_optional_email(value: str) -> str | None:
    return None if value == "" else _check_email(value)


def _check_timezone(value: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "an IANA timezone like 'Asia/Shanghai'"
    return None


def _check_env_name(value: str) -> str | None:
    if value == "" or re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
        return None
    return "the NAME of an environment variable (A-Z, 0-9, _), not the secret itself"


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else "one of " + ", ".join(choices)

    return check


def _at_least(minimum: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value >= minimum else f"a number >= {minimum}"

    return check


@dataclass(frozen=True)
class Setting:
    type: type
    default: Any
    doc: str
    check: Callable[[Any], str | None] | None = None
    item_check: Callable[[Any], str | None] | None = None
    secret_env: bool = False  # the value names an env var holding a secret


DEFAULT_KEYWORDS = [
    "落户", "户籍", "入户", "积分", "居住证", "新市民", "紧缺", "急需", "职业(工种)目录",
    "工种目录", "人才引进", "技能人才", "分数线", "技能等级", "职业资格",
]  # fmt: skip

SCHEMA: dict[str, dict[str, Setting]] = {
    "database": {
        "url": Setting(
            str,
            "sqlite:///policywatch.db",
            "SQLAlchemy URL; SQLite file in the working directory by default, or postgresql+psycopg://user@host/db.",
        ),
        "password_env": Setting(
            str,
            "",
            "Environment variable holding the database password (inserted into the URL).",
            _check_env_name,
            secret_env=True,
        ),
    },
    "crawl": {
        "user_agent": Setting(
            str, "policywatch/{version} (+{contact})", "User-Agent; {version} and {contact} are filled in."
        ),
        "contact": Setting(
            str,
            "https://github.com/policywatch/policywatch",
            "Contact URL or mailto: shown to site operators in the User-Agent.",
        ),
        "download_delay": Setting(
            float,
            2.0,
            "Seconds between requests to one host (AutoThrottle may add more); >= 1 recommended.",
            _at_least(0),
        ),
        "concurrent_requests_per_domain": Setting(int, 1, "Open connections per host.", _at_least(1)),
        "obey_robots_txt": Setting(bool, True, "Obey robots.txt."),
        "max_download_bytes": Setting(
            int,
            20 * 1024 * 1024,
            "Largest response or attachment downloaded; bigger ones are skipped and reported.",
            _at_least(1024),
        ),
        "timeout_seconds": Setting(int, 30, "Per-request timeout.", _at_least(1)),
        "retries": Setting(int, 3, "Retries on 5xx, timeouts and resets (with backoff).", _at_least(0)),
        "retry_backoff_seconds": Setting(
            float,
            2.0,
            "First retry waits this long, each further retry twice as long (capped at 60 s).",
            _at_least(0),
        ),
        "list_pages": Setting(
            int, 3, "List pages read per section: page 0 plus this many minus one.", _at_least(1)
        ),
        "recheck_days": Setting(
            int,
            7,
            "Relevant documents already stored are refetched after this many days (pages are edited in place).",
            _at_least(0),
        ),
        "start_jitter_seconds": Setting(
            float,
            0.0,
            "Random delay before each source's crawl starts (the daemon sets its own).",
            _at_least(0),
        ),
        "keywords": Setting(
            list,
            DEFAULT_KEYWORDS,
            "An announcement is relevant (details and attachments fetched) when its title or body contains one of these.",
        ),
    },
    "smtp": {
        "host": Setting(str, "", "SMTP server; empty means write .eml files to notify.outbox_dir instead."),
        "port": Setting(int, 587, "SMTP port.", _at_least(1)),
        "security": Setting(
            str, "starttls", "starttls, tls (implicit) or none.", _one_of("starttls", "tls", "none")
        ),
        "ca_file": Setting(
            str,
            "",
            "PEM file of CA certificates trusted for the SMTP server's TLS certificate (a private CA); "
            "empty: the system trust store.",
        ),
        "username": Setting(str, "", "SMTP user name (empty: no login)."),
        "password_env": Setting(
            str,
            "POLICYWATCH_SMTP_PASSWORD",
            "Environment variable holding the SMTP password.",
            _check_env_name,
            secret_env=True,
        ),
        "sender": Setting(str, "policywatch@localhost", "From address.", _check_email),
        "reply_to": Setting(str, "", "Reply-To address (optional).", _check_optional_email),
        "max_messages_per_run": Setting(
            int, 200, "Rate limit: messages sent per run; the rest wait for the next run.", _at_least(1)
        ),
        "timeout_seconds": Setting(int, 30, "SMTP connection timeout.", _at_least(1)),
    },
    "notify": {
        "outbox_dir": Setting(str, "outbox", "Folder for .eml files when no SMTP host is set."),
        "operator_email": Setting(
            str,
            "",
            "Where operator alerts go (blocked sources, suspect versions); also the List-Unsubscribe mailto.",
            _check_optional_email,
        ),
        "public_url": Setting(
            str,
            "",
            "Public https URL of the unsubscribe endpoint (policywatch unsubscribe-server behind a TLS "
            "reverse proxy); enables one-click unsubscribe links.",
            _check_optional_url,
        ),
        "signing_key_env": Setting(
            str,
            "POLICYWATCH_SIGNING_KEY",
            "Environment variable holding the key that signs unsubscribe tokens.",
            _check_env_name,
            secret_env=True,
        ),
        "templates_dir": Setting(str, "", "Folder whose templates override the built-in digest templates."),
        "daily_hour": Setting(int, 8, "Hour (in schedule.timezone) when daily digests go out.", _at_least(0)),
        "weekly_day": Setting(
            str, "mon", "Day weekly digests go out.", _one_of("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        ),
        "alert_after_failures": Setting(
            int, 3, "Consecutive failed crawls of a source before the operator is alerted.", _at_least(1)
        ),
        "alert_reminder_hours": Setting(
            int, 24, "Reminder interval while an alert is unresolved.", _at_least(1)
        ),
    },
    "schedule": {
        "timezone": Setting(str, "Asia/Shanghai", "Timezone of every cron expression.", _check_timezone),
        "crawl": Setting(
            str,
            "0 7,13,19 * * *",
            "When every source is crawled (cron; 6 fields = seconds first, e.g. for tests).",
            _check_cron,
        ),
        "notify": Setting(str, "*/15 * * * *", "When the daemon sends due digests (cron).", _check_cron),
        "misfire_grace_seconds": Setting(
            int, 3600, "A run missed by less than this still runs late.", _at_least(1)
        ),
        "jitter_seconds": Setting(
            int, 120, "Random delay added to each source's scheduled crawl.", _at_least(0)
        ),
        "shutdown_grace_seconds": Setting(
            int, 60, "On SIGTERM, how long a running crawl may finish before it is cancelled.", _at_least(0)
        ),
        "lease_seconds": Setting(
            int,
            60,
            "One daemon per database: its lock lapses this long after the holder's last heartbeat.",
            _at_least(3),
        ),
    },
    "log": {
        "level": Setting(
            str, "INFO", "DEBUG, INFO, WARNING or ERROR.", _one_of("DEBUG", "INFO", "WARNING", "ERROR")
        ),
        "file": Setting(str, "", "Also log to this file, rotated (empty: stderr only)."),
        "max_bytes": Setting(int, 10 * 1024 * 1024, "Rotate the log file at this size.", _at_least(1024)),
        "backups": Setting(int, 5, "Rotated log files kept.", _at_least(0)),
    },
}

SOURCE_SCHEMA: dict[str, Setting] = {
    "start_urls": Setting(list, None, "List-page URLs; replaces the registry's (allowed domains follow their hosts).", item_check=_check_url),
    "allowed_domains": Setting(list, None, "Hosts the spider may fetch from (default: the start URLs' hosts)."),
    "enabled": Setting(bool, True, "false disables the source."),
    "name": Setting(str, None, "Chinese name (required for a new source)."),
    "authority": Setting(str, None, "hrss (人社), psb (公安) or gov (政府) (required for a new source).", _one_of("hrss", "psb", "gov")),
    "region": Setting(str, None, "fujian, fuzhou, xiamen, quanzhou or another prefecture id (required for a new source)."),
    "family": Setting(str, None, "Spider family that reads it, e.g. trs (required for a new source)."),
    "schedule": Setting(str, None, "Cron expression overriding schedule.crawl for this source.", _check_cron),
    "list_pages": Setting(int, None, "Overrides crawl.list_pages for this source.", _at_least(1)),
}  # fmt: skip


@dataclass
class Config:
    """The effective configuration: defaults overlaid with the file."""

    origin: str  # the file it came from, or "built-in defaults"
    values: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    def secret(self, section: str, key: str) -> str | None:
        """Read a secret from the environment variable the config names."""
        name = self.values[section][key]
        return os.environ.get(name) if name else None

    def path(self, section: str, key: str) -> Path:
        """A path setting, relative to the working directory the command runs in."""
        value = Path(self.values[section][key]).expanduser()
        return value if value.is_absolute() else self.base_dir / value

    @property
    def database_url(self) -> str:
        url: str = self.values["database"]["url"]
        password = self.secret("database", "password_env")
        if password:
            from sqlalchemy.engine import make_url

            url = make_url(url).set(password=password).render_as_string(hide_password=False)
        return url


def _type_name(t: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}[t]


def _validate(origin: str, key: str, setting: Setting, value: Any) -> Any:
    expected = setting.type
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and expected is not bool:
        raise ConfigError(origin, key, _type_name(expected), value)
    if not isinstance(value, expected):
        raise ConfigError(origin, key, _type_name(expected), value)
    if isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ConfigError(origin, f"{key}[{i}]", "a string", item)
            if setting.item_check and (problem := setting.item_check(item)):
                raise ConfigError(origin, f"{key}[{i}]", problem, item)
    if setting.check and (problem := setting.check(value)):
        raise ConfigError(origin, key, problem, value)
    return value


def defaults() -> dict[str, dict[str, Any]]:
    return {
        s: {k: (list(v.default) if isinstance(v.default, list) else v.default) for k, v in keys.items()}
        for s, keys in SCHEMA.items()
    }


def parse_config(text: str, origin: str) -> Config:
    """Validate TOML text against the schema; raise ConfigError naming the first bad key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(origin, "(file)", f"valid TOML ({exc})") from None
    values = defaults()
    sources: dict[str, dict[str, Any]] = {}
    for section, content in raw.items():
        if section == "sources":
            if not isinstance(content, dict):
                raise ConfigError(origin, "sources", "tables like [sources.xiamen-hrss]")
            for source_id, overrides in content.items():
                if not isinstance(overrides, dict):
                    raise ConfigError(origin, f"sources.{source_id}", "a table of settings")
                checked: dict[str, Any] = {}
                for key, value in overrides.items():
                    dotted = f"sources.{source_id}.{key}"
                    if key not in SOURCE_SCHEMA:
                        raise ConfigError(origin, dotted, "one of " + ", ".join(SOURCE_SCHEMA))
                    checked[key] = _validate(origin, dotted, SOURCE_SCHEMA[key], value)
                sources[source_id] = checked
            continue
        if section not in SCHEMA:
            raise ConfigError(origin, section, "a section among " + ", ".join([*SCHEMA, "sources"]))
        if not isinstance(content, dict):
            raise ConfigError(origin, section, f"a [{section}] table")
        for key, value in content.items():
            dotted = f"{section}.{key}"
            if key not in SCHEMA[section]:
                raise ConfigError(origin, dotted, "one of " + ", ".join(SCHEMA[section]))
            values[section][key] = _validate(origin, dotted, SCHEMA[section][key], value)
    return Config(origin=origin, values=values, sources=sources)


def find_config_file(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    local = Path.cwd() / DEFAULT_FILE
    return local if local.exists() else None


def load_config(explicit: str | None = None) -> Config:
    """The effective config; an explicit or $POLICYWATCH_CONFIG path must exist."""
    path = find_config_file(explicit)
    if path is None:
        return Config(origin="built-in defaults", values=defaults())
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "(file)", "an existing config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "(file)", f"a readable UTF-8 file ({exc})") from None
    return parse_config(text, str(path))


def masked_view(config: Config) -> dict[str, Any]:
    """The effective config for display: secrets show only whether their variable is set."""
    from storage.database import safe_url

    shown: dict[str, Any] = {}
    for section, keys in config.values.items():
        shown[section] = {}
        for key, value in keys.items():
            setting = SCHEMA[section][key]
            if setting.secret_env and value:
                state = "set" if os.environ.get(value) else "not set"
                shown[section][key] = f"{value} ({state})"
            elif section == "database" and key == "url":
                shown[section][key] = safe_url(value)
            else:
                shown[section][key] = value
    if config.sources:
        shown["sources"] = config.sources
    return shown


def reference_markdown() -> str:
    """The configuration reference, generated from the schema (the README embeds it)."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]

    def fmt(v: Any) -> str:
        if isinstance(v, list):
            return "`[" + ", ".join(f'"{x}"' for x in v[:4]) + (", …" if len(v) > 4 else "") + "]`"
        if isinstance(v, bool):
            return f"`{str(v).lower()}`"
        if v is None:
            return "—"
        return f'`"{v}"`' if isinstance(v, str) else f"`{v}`"

    for section, keys in SCHEMA.items():
        for key, setting in keys.items():
            lines.append(
                f"| `{section}.{key}` | {setting.type.__name__} | {fmt(setting.default)} | {setting.doc} |"
            )
    for key, setting in SOURCE_SCHEMA.items():
        lines.append(
            f"| `sources.<id>.{key}` | {setting.type.__name__} | {fmt(setting.default)} | {setting.doc} |"
        )
    return "\n".join(lines) + "\n"
