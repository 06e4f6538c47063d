"""The notifier's settings: handed over by the application (policywatch.config builds them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from notifier.mail_settings import MailSettings
from notifier.transports import EmlTransport, SmtpTransport, Transport


@dataclass(frozen=True)
class NotifySettings:
    mail: MailSettings
    outbox_dir: Path
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: str | None = field(default=None, repr=False)
    smtp_timeout: float = 30
    smtp_ca_file: Path | None = None  # PEM bundle to trust instead of the system store
    max_messages_per_run: int = 200
    timezone: str = "Asia/Shanghai"
    daily_hour: int = 8
    weekly_day: str = "mon"
    alert_after_failures: int = 3
    alert_reminder_hours: int = 24
    robot_timeout: float = 10  # seconds per group-robot / webhook request
    # channel -> environment variable holding the signing secret of robots subscribed
    # without one of their own (--secret-env)
    default_secret_envs: Mapping[str, str] = field(default_factory=dict)
    secret_lookup: Callable[[str], str | None] = field(default=lambda name: None, repr=False)
    feed_url: str = ""  # public URL of the Atom feed, linked from chat digests

    def secret_for(self, channel: str, secret_env: str | None) -> tuple[str | None, str | None]:
        """(the signing secret, the variable that must hold it) for a robot destination.

        A destination's own variable must be set (else its messages wait); the config's
        default for the channel signs when it is set and is ignored when it is not."""
        if secret_env:
            return self.secret_lookup(secret_env), secret_env
        name = self.default_secret_envs.get(channel)
        return (self.secret_lookup(name) if name else None), None

    @property
    def uses_outbox(self) -> bool:
        """No SMTP host: messages become .eml files a user can open."""
        return not self.smtp_host

    def transport(self) -> Transport:
        if self.uses_outbox:
            return EmlTransport(self.outbox_dir)
        return SmtpTransport(
            self.smtp_host,
            self.smtp_port,
            security=self.smtp_security,
            username=self.smtp_username,
            password=self.smtp_password,
            timeout=self.smtp_timeout,
            ca_file=self.smtp_ca_file,
        )
