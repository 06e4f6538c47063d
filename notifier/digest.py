"""Rendering a subscriber's digest: plain text + HTML (CSS inlined) in one MIME message.

Pure: changes and settings in, an EmailMessage out (no database, no network). Templates
live in notifier/templates/ and may be overridden file by file from ``notify.templates_dir``.
All crawled text is untrusted: HTML is autoescaped, links are only http(s), and headers go
through :mod:`notifier.mail`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
import jinja2

from notifier.coverage import CoverageNote
from notifier.mail import header_text, message_id, new_message, sender_domain
from notifier.mail_settings import MailSettings
from notifier.report import Group, build_groups
from notifier.subscriptions import Preferences
from notifier.unsubscribe import list_unsubscribe_headers, mailto_url, make_token, unsubscribe_url
from rules.changes import Change
from rules.eligibility import ChangeEffect
from rules.registry import KINDS
from rules.summary import subject_line

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Recipient:
    subscriber_id: int
    email: str
    name: str | None
    prefs: Preferences


@dataclass(frozen=True)
class Rendered:
    """A digest ready for a transport: the message, its id, and the ids of the changes it carries."""

    message: Any  # EmailMessage
    message_id: str
    change_ids: tuple[int, ...]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


# ---------------------------------------------------------------- templates


@lru_cache(maxsize=8)
def environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """Jinja2 with the override folder first, then the built-in templates; HTML autoescaped."""
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """Style rules moved onto the elements: webmail drops <style> blocks."""
    return str(_INLINER.inline(html))


# ---------------------------------------------------------------- what a change means for an electrician


def certificate_meaning(change: Change) -> str | None:
    """What the change means for an electrician holding a certificate (its kind decides)."""
    return KINDS[change.kind].meaning(change)


# ---------------------------------------------------------------- the view model


@dataclass
class DigestView:
    subject: str
    greeting: str
    intro: str
    groups: list[Group]
    meanings: dict[int, str]  # id(change) -> certificate line
    why: str
    contact: str
    unsubscribe_mailto: str
    unsubscribe_link: str | None
    email: str
    coverage: CoverageNote | None  # the sources of the subscriber's regions: which could not be read
    effects: dict[int, ChangeEffect] = field(default_factory=dict)  # id(change) -> what it does to them

    def meaning(self, change: Change) -> str | None:
        return self.meanings.get(id(change))

    def effect(self, change: Change) -> ChangeEffect | None:
        """What the change does to this subscriber's profile (None: no profile, or nothing)."""
        return self.effects.get(id(change))

    @property
    def alerts(self) -> list[str]:
        """Thresholds crossed (a talent channel met, a cut-off reached, or no longer): shown first."""
        return [a for effect in self.effects.values() for a in effect.alerts]


def build_view(
    recipient: Recipient,
    changes: Sequence[Change],
    settings: MailSettings,
    subject: str,
    coverage: CoverageNote | None = None,
    effects: Mapping[int, ChangeEffect] | None = None,
) -> DigestView:
    related = sum(c.electrician_related for c in changes)
    name = header_text(recipient.name or "", 40)
    token_link = None
    if settings.public_url and settings.signing_key:
        token = make_token(settings.signing_key, recipient.subscriber_id, recipient.email)
        token_link = unsubscribe_url(settings.public_url, token)
    return DigestView(
        subject=subject,
        greeting=f"{name}，您好：" if name else "您好：",
        intro=f"policywatch 发现了 {len(changes)} 项落户政策变化（其中 {related} 项与电工相关）。",
        groups=build_groups(changes),
        meanings={id(c): m for c in changes if (m := certificate_meaning(c))},
        why=recipient.prefs.describe(),
        contact=settings.contact,
        unsubscribe_mailto=mailto_url(settings.contact, recipient.email),
        unsubscribe_link=token_link,
        email=recipient.email,
        coverage=coverage,
        effects=dict(effects or {}),
    )


# ---------------------------------------------------------------- the message


def digest_message_id(subscriber_id: int, change_ids: Sequence[int], sender: str) -> str:
    """Same subscriber + same set of changes -> same Message-ID (see notifier.mail.message_id)."""
    return message_id("digest", [subscriber_id, *sorted(change_ids)], sender_domain(sender))


def render_digest(
    recipient: Recipient,
    changes: Sequence[tuple[int, Change]],
    settings: MailSettings,
    *,
    now: dt.datetime,
    coverage: CoverageNote | None = None,
    effects: Mapping[int, ChangeEffect] | None = None,
) -> Rendered:
    """The digest for one subscriber: multipart/alternative, text first, then inlined HTML.

    ``coverage``: which of the sources the subscriber follows could not be read (named in
    the digest so that their silence is not taken for "no changes"). ``effects``: by change
    id, what each change does to the subscriber's profile (rules.eligibility.change_effect)."""
    ids = tuple(sorted(cid for cid, _ in changes))
    only = [c for _, c in sorted(changes, key=lambda pair: pair[0])]
    subject = header_text(subject_line(only), 200)
    by_id = dict(changes)
    mine = {id(by_id[cid]): e for cid, e in (effects or {}).items() if cid in by_id}
    view = build_view(recipient, only, settings, subject, coverage, mine)
    env = environment(settings.templates_dir)
    text = env.get_template("digest.txt.j2").render(v=view)
    html = inline_css(env.get_template("digest.html.j2").render(v=view))
    msg_id = digest_message_id(recipient.subscriber_id, ids, settings.sender)
    msg = new_message(
        sender=settings.sender,
        sender_name=settings.sender_name,
        to=recipient.email,
        to_name=recipient.name,
        subject=subject,
        msg_id=msg_id,
        date=now,
        reply_to=settings.reply_to,
        extra_headers=list_unsubscribe_headers(view.unsubscribe_mailto, view.unsubscribe_link),
    )
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return Rendered(msg, msg_id, ids)
