"""The TOML configuration: where it is found, its validation, and the typed Config it becomes.

Order: ``--config PATH`` > ``$POLICYWATCH_CONFIG`` > ``./policywatch.toml`` > built-in
defaults. Each section is a frozen dataclass whose fields are the schema of its keys
(policywatch/config_sections.py; crawl, log and sources in crawlers/crawl_config.py, so the
crawl child gets them without importing the application). The file is validated here, once,
on load, bounds included; everything else reads attributes of the Config. The README's
configuration reference is generated from the same fields (``policywatch config
reference``; a test keeps the README in step). Secrets never live in the file: only the
*names* of environment variables do.

Field metadata: ``doc`` (required: the reference's line); ``min`` and ``max`` (bounds of a
number); ``choices``; ``format`` ("url", "email", "cron" or "timezone") and ``item_format``
(of each list item); ``optional`` (the empty string is allowed too); ``secret_env`` (the
value names an environment variable holding a secret: masked when shown).
"""

from __future__ import annotations

import math
import os
import re
import string
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from notifier.settings import NotifySettings
    from policywatch.parse_worker import ParseLimits

from crawlers.crawl_config import BUILT_IN_DEFAULTS, CrawlConfig, CrawlSettings, LogSettings, SourceOverride
from crawlers.registry import SourceDefinition, SourceError, load_sources
from policywatch.config_sections import (
    ChannelSettings,
    DatabaseSettings,
    NotificationSettings,
    ParseSettings,
    ScheduleSettings,
    SmtpSettings,
)

ENV_CONFIG = "POLICYWATCH_CONFIG"
DEFAULT_FILE = "policywatch.toml"


class ConfigError(Exception):
    """A config problem; the CLI prints it as one line and exits 2."""

    def __init__(self, origin: str, key: str, expected: str, got: Any = None) -> None:
        self.origin, self.key, self.expected = origin, key, expected
        shown = "" if got is None else f", got {got!r}"
        super().__init__(f"{origin}: {key}: expected {expected}{shown}")


# -- the effective configuration ---------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The effective configuration: defaults overlaid with the file, validated."""

    origin: str = BUILT_IN_DEFAULTS  # the file it came from
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    notify: NotificationSettings = field(default_factory=NotificationSettings)
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    log: LogSettings = field(default_factory=LogSettings)
    parse: ParseSettings = field(default_factory=ParseSettings)
    sources: Mapping[str, SourceOverride] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)

    def secret(self, env_name: str) -> str | None:
        """The secret in the environment variable a ``*_env`` setting names."""
        return os.environ.get(env_name) if env_name else None

    def path(self, value: str) -> Path:
        """A path setting, relative to the working directory the command runs in."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_url(self) -> str:
        url = self.database.url
        password = self.secret(self.database.password_env)
        if password:
            from sqlalchemy.engine import make_url

            url = make_url(url).set(password=password).render_as_string(hide_password=False)
        return url

    def log_settings(self) -> LogSettings:
        """[log] with the file made absolute: this process and the crawl child log there."""
        return replace(self.log, file=str(self.path(self.log.file))) if self.log.file else self.log

    def notify_settings(self) -> NotifySettings:
        """The notifier's part of the config, secrets read and paths made absolute."""
        from notifier.mail_settings import MailSettings
        from notifier.settings import NotifySettings

        smtp, notify = self.smtp, self.notify
        return NotifySettings(
            mail=MailSettings(
                sender=smtp.sender,
                reply_to=smtp.reply_to,
                operator_email=notify.operator_email,
                public_url=notify.public_url,
                signing_key=self.secret(notify.signing_key_env),
                templates_dir=self.path(notify.templates_dir) if notify.templates_dir else None,
            ),
            outbox_dir=self.path(notify.outbox_dir),
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_security=smtp.security,
            smtp_username=smtp.username,
            smtp_password=self.secret(smtp.password_env) if smtp.username else None,
            smtp_timeout=smtp.timeout_seconds,
            smtp_ca_file=self.path(smtp.ca_file) if smtp.ca_file else None,
            max_messages_per_run=smtp.max_messages_per_run,
            timezone=self.schedule.timezone,
            daily_hour=notify.daily_hour,
            weekly_day=notify.weekly_day,
            alert_after_failures=notify.alert_after_failures,
            alert_reminder_hours=notify.alert_reminder_hours,
            robot_timeout=self.channels.timeout_seconds,
            default_secret_envs={
                channel: name
                for channel, name in (
                    ("dingtalk", self.channels.dingtalk_secret_env),
                    ("feishu", self.channels.feishu_secret_env),
                )
                if name
            },
            secret_lookup=self.secret,
            feed_url=self.feed_url,
        )

    @property
    def feed_url(self) -> str:
        """Where readers find the Atom feed: notify.public_url's origin + channels.feed_path."""
        if not (self.channels.feed_path and self.notify.public_url):
            return ""
        parts = urlsplit(self.notify.public_url)
        return f"{parts.scheme}://{parts.netloc}{self.channels.feed_path}"

    def parse_limits(self) -> ParseLimits:
        from policywatch.parse_worker import ParseLimits

        return ParseLimits(seconds=self.parse.timeout_seconds, memory_bytes=self.parse.memory_mb * 1024**2)

    def crawl_config(self) -> CrawlConfig:
        """What the crawlers read, ready to hand to the crawl child."""
        return CrawlConfig(
            origin=self.origin,
            database_url=self.database_url,
            crawl=self.crawl,
            log=self.log_settings(),
            sources=self.sources,
        )


# -- the schema, read from the sections' fields ------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One config key: a section field's TOML type, default, doc line and constraints."""

    type: type  # str, int, float, bool or list
    default: Any
    doc: str
    rules: Mapping[str, Any]  # the field's metadata


def _toml_type(hint: Any) -> type:
    """The TOML type of a field's type hint: ``X | None`` is X, a tuple is a list."""
    if typing.get_origin(hint) is types.UnionType:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return list if typing.get_origin(hint) is tuple else typing.cast(type, hint)


def _schema_of(section: type) -> dict[str, Setting]:
    hints = typing.get_type_hints(section)
    return {
        f.name: Setting(_toml_type(hints[f.name]), f.default, f.metadata["doc"], f.metadata)
        for f in fields(section)
    }


def _source_schema() -> dict[str, Setting]:
    """[sources.<id>]: a key's default is what a source has when nobody sets it."""
    defaults = {f.name: f.default for f in fields(SourceDefinition) if f.default is not MISSING}
    return {key: replace(s, default=defaults.get(key)) for key, s in _schema_of(SourceOverride).items()}


def _sections() -> dict[str, type]:
    """Each [section] and its dataclass: the settings-dataclass fields of Config, in order."""
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in fields(Config) if is_dataclass(hints[f.name])}


SECTIONS = _sections()
SCHEMA: dict[str, dict[str, Setting]] = {name: _schema_of(section) for name, section in SECTIONS.items()}
SOURCE_SCHEMA = _source_schema()


# -- validation -------------------------------------------------------------------------


def _check_cron(value: str) -> str | None:
    from policywatch.crontab import cron_trigger

    try:
        cron_trigger(value, timezone="UTC")
    except ValueError as exc:
        return f"a 5-field cron expression like '0 */6 * * *' (or 6 fields, seconds first) ({exc})"
    return None


def _check_url(value: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    expected = "an " + " or ".join(f"{s}://" for s in schemes) + " URL with a host and no spaces"
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # http://[::1/ and the like
        return expected
    if parts.scheme not in schemes or not host or any(c.isspace() for c in value):
        return expected
    return None


def _check_url_path(value: str) -> str | None:
    """A path on the HTTP server: starts with /, no query, fragment, spaces or control characters."""
    if (
        not value.startswith("/")
        or any(c in value for c in "?#")
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        return "a path like /feed.atom"
    return None


def _check_https_url(value: str) -> str | None:
    """Mail clients only offer one-click unsubscribe (RFC 8058) over https."""
    return _check_url(value, ("https",))


def _check_user_agent(value: str) -> str | None:
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError:
        fields = {"?"}
    unknown = fields - {"version", "contact"}
    return (
        f"text whose only fields are {{version}} and {{contact}} (not {sorted(unknown)})" if unknown else None
    )


def _check_existing_file(value: str) -> str | None:
    return None if Path(value).expanduser().is_file() else "an existing file"


def _check_existing_dir(value: str) -> str | None:
    return None if Path(value).expanduser().is_dir() else "an existing folder"


def _check_log_file(value: str) -> str | None:
    """A file, not a folder (its folder is created when logging starts; a failure there is
    reported then, in one line)."""
    return "a file, not a folder" if Path(value).expanduser().is_dir() else None


EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$|^[^@\s<>\"',;]+@localhost$")


def _check_email(value: str) -> str | None:
    return None if EMAIL_RE.match(value) else "an email address like ops@example.org"


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


def _check_database_url(value: str) -> str | None:
    from storage.database import database_url_problem

    return database_url_problem(value)


FORMATS: dict[str, Callable[[str], str | None]] = {
    "database_url": _check_database_url,
    "url": _check_url,
    "https_url": _check_https_url,
    "url_path": _check_url_path,
    "user_agent": _check_user_agent,
    "existing_file": _check_existing_file,
    "existing_dir": _check_existing_dir,
    "log_file": _check_log_file,
    "email": _check_email,
    "cron": _check_cron,
    "timezone": _check_timezone,
}


def _problem(rules: Mapping[str, Any], value: Any) -> str | None:
    """What a value of the right type is expected to be instead, or None when it is fine."""
    if rules.get("secret_env"):
        return _check_env_name(value)
    if rules.get("optional") and value == "":
        return None
    if "choices" in rules and value not in rules["choices"]:
        return "one of " + ", ".join(rules["choices"])
    if "max" in rules and not rules["min"] <= value <= rules["max"]:
        return f"a number from {rules['min']} to {rules['max']}"
    if "min" in rules and value < rules["min"]:
        return f"a number >= {rules['min']}"
    if "format" in rules:
        return FORMATS[rules["format"]](value)
    return None


def _type_name(t: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}[t]


def _validate(origin: str, key: str, setting: Setting, value: Any) -> Any:
    expected = setting.type
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and expected is not bool:
        raise ConfigError(origin, key, _type_name(expected), value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(origin, key, "a finite number", value)
    if not isinstance(value, expected):
        raise ConfigError(origin, key, _type_name(expected), value)
    if isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ConfigError(origin, f"{key}[{i}]", "a string", item)
            item_format = setting.rules.get("item_format")
            if item_format and (problem := FORMATS[item_format](item)):
                raise ConfigError(origin, f"{key}[{i}]", problem, item)
        return tuple(value)
    if problem := _problem(setting.rules, value):
        raise ConfigError(origin, key, problem, value)
    return value


def _validate_table(
    origin: str, prefix: str, schema: dict[str, Setting], table: dict[str, Any]
) -> dict[str, Any]:
    checked = {}
    for key, value in table.items():
        dotted = f"{prefix}.{key}"
        if key not in schema:
            raise ConfigError(origin, dotted, "one of " + ", ".join(schema))
        checked[key] = _validate(origin, dotted, schema[key], value)
    return checked


def _parse_sources(origin: str, content: Any) -> dict[str, SourceOverride]:
    if not isinstance(content, dict):
        raise ConfigError(origin, "sources", "tables like [sources.xiamen-hrss]")
    sources = {}
    for source_id, overrides in content.items():
        if not isinstance(overrides, dict):
            raise ConfigError(origin, f"sources.{source_id}", "a table of settings")
        sources[source_id] = SourceOverride(
            **_validate_table(origin, f"sources.{source_id}", SOURCE_SCHEMA, overrides)
        )
    return sources


def _check_sources(config: Config) -> None:
    """New sources need every field, families and authorities must exist: the registry decides."""
    try:
        load_sources(config.crawl_config(), include_disabled=True)
    except SourceError as exc:
        raise ConfigError(exc.origin, exc.key, exc.expected, exc.got) from None


def parse_config(text: str, origin: str) -> Config:
    """Validate TOML text against the schema; raise ConfigError naming the first bad key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(origin, "(file)", f"valid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(origin, "(file)", "valid TOML (nested too deeply)") from None
    sections: dict[str, Any] = {}
    sources: dict[str, SourceOverride] = {}
    for section, content in raw.items():
        if section == "sources":
            sources = _parse_sources(origin, content)
            continue
        if section not in SCHEMA:
            raise ConfigError(origin, section, "a section among " + ", ".join([*SCHEMA, "sources"]))
        if not isinstance(content, dict):
            raise ConfigError(origin, section, f"a [{section}] table")
        sections[section] = SECTIONS[section](**_validate_table(origin, section, SCHEMA[section], content))
    config = Config(origin=origin, sources=sources, **sections)
    _check_sources(config)
    return config


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
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "(file)", "an existing config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "(file)", f"a readable UTF-8 file ({exc})") from None
    return parse_config(text, str(path))


# -- showing it -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def masked_view(config: Config) -> dict[str, Any]:
    """The effective config for display: secrets show only whether their variable is set."""
    from storage.database import safe_url

    shown: dict[str, Any] = {}
    for section, schema in SCHEMA.items():
        values = getattr(config, section)
        shown[section] = {}
        for key, setting in schema.items():
            value = getattr(values, key)
            if setting.rules.get("secret_env") and value:
                state = "set" if os.environ.get(value) else "not set"
                shown[section][key] = f"{value} ({state})"
            elif section == "database" and key == "url":
                shown[section][key] = safe_url(value)
            else:
                shown[section][key] = _plain(value)
    if config.sources:
        shown["sources"] = {
            source_id: {key: _plain(value) for key, value in override.given().items()}
            for source_id, override in config.sources.items()
        }
    return shown


def reference_markdown() -> str:
    """The configuration reference, generated from the schema (the README embeds it)."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]

    def fmt(v: Any) -> str:
        if isinstance(v, tuple):
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
