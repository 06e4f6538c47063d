"""What rendering a message needs from the config: sender, contact, public URL, templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SENDER_NAME = "policywatch 落户政策提醒"


@dataclass(frozen=True)
class MailSettings:
    """What rendering needs from the config (the signing key is a secret: kept out of repr)."""

    sender: str
    reply_to: str = ""
    operator_email: str = ""
    public_url: str = ""
    signing_key: str | None = field(default=None, repr=False)
    templates_dir: Path | None = None
    sender_name: str = SENDER_NAME

    @property
    def contact(self) -> str:
        """Where a person can write to (unsubscribe mailto, help): operator, else reply-to, else sender."""
        return self.operator_email or self.reply_to or self.sender
