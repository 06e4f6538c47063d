"""The notifier's settings, read once from the policywatch config (secrets from the environment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from notifier.digest import MailSettings
from notifier.transports import EmlTransport, SmtpTransport, Transport

if TYPE_CHECKING:  # the notifier never imports the application at run time
    from policywatch.config import Config


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

    @classmethod
    def from_config(cls, config: Config) -> NotifySettings:
        """The notifier's part of the validated config, secrets read and paths made absolute."""
        smtp, notify = config.smtp, config.notify
        return cls(
            mail=MailSettings(
                sender=smtp.sender,
                reply_to=smtp.reply_to,
                operator_email=notify.operator_email,
                public_url=notify.public_url,
                signing_key=config.secret(notify.signing_key_env),
                templates_dir=config.path(notify.templates_dir) if notify.templates_dir else None,
            ),
            outbox_dir=config.path(notify.outbox_dir),
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_security=smtp.security,
            smtp_username=smtp.username,
            smtp_password=config.secret(smtp.password_env) if smtp.username else None,
            smtp_timeout=smtp.timeout_seconds,
            smtp_ca_file=config.path(smtp.ca_file) if smtp.ca_file else None,
            max_messages_per_run=smtp.max_messages_per_run,
            timezone=config.schedule.timezone,
            daily_hour=notify.daily_hour,
            weekly_day=notify.weekly_day,
            alert_after_failures=notify.alert_after_failures,
            alert_reminder_hours=notify.alert_reminder_hours,
        )

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
