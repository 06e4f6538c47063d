"""Group robots and webhooks over HTTP: WeCom, DingTalk, Feishu/Lark and a generic JSON webhook.

Each service gets its payload shape, its signature where it signs (DingTalk: HMAC-SHA256 of
"timestamp\\nsecret" keyed by the secret, in the query; Feishu: HMAC-SHA256 keyed by
"timestamp\\nsecret" over nothing, in the body) and its reply read the way the service
means it: a 200 with a non-zero error code is a failure. Failures are classified like the
mail transports': a bad key, token or signature is a PermanentFailure (retrying cannot
help); rate limits, 5xx, timeouts and unreachable hosts are TransientFailures.

Robot URLs carry the group's key: only their masked form appears in errors and logs, and
redirects are never followed (they would carry the body somewhere else).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from notifier.channels import DINGTALK, FEISHU, WEBHOOK, WECOM, mask_url
from notifier.transports import PermanentFailure, TransientFailure
from rules.display import one_line

log = logging.getLogger(__name__)

MAX_REPLY = 64 * 1024
# Size limits of one message: WeCom markdown content 4096 bytes; DingTalk and Feishu about
# 20 KB per request (kept under it with room for the signature fields).
WECOM_MAX_CONTENT = 4096
MAX_BODY = {DINGTALK: 18_000, FEISHU: 18_000}

# Error codes in a 200 reply that no retry can fix (bad key, token, signature, parameters).
PERMANENT_CODES: dict[str, frozenset[int]] = {
    WECOM: frozenset({93000, 93004, 93008, 40001, 40014, 40008, 44004}),
    DINGTALK: frozenset({300001, 300005, 310000, 40035, 43004}),
    FEISHU: frozenset({19001, 19002, 19021, 19022, 19024, 9499}),
}
# Everything else non-zero (rate limits such as WeCom 45009 / DingTalk 130101 / Feishu 11232,
# "system busy" -1, codes we do not know) is retried with backoff and given up on after
# notifier.delivery.MAX_ATTEMPTS tries.


@dataclass(frozen=True)
class RobotTarget:
    """Where one chat message goes: the channel, the URL (a credential) and the signing secret."""

    channel: str
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    secret_env: str | None = None  # named but unset: the message waits (a config problem)

    @property
    def masked(self) -> str:
        return f"{self.channel} {mask_url(self.url)}"


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk: base64(HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>")), before URL-encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_signature(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark: base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg=empty))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def markdown_payload(channel: str, title: str, text: str) -> dict[str, Any]:
    """The message body of a robot channel (before any signature)."""
    if channel == WECOM:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if channel == DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if channel == FEISHU:
        return {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": title}, "template": "blue"},
                "elements": [{"tag": "markdown", "content": text}],
            },
        }
    raise ValueError(f"not a robot channel: {channel!r}")


def encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def fits(channel: str, title: str, text: str) -> bool:
    """Whether a markdown message is within the channel's limit."""
    if channel == WECOM:
        return len(text.encode("utf-8")) <= WECOM_MAX_CONTENT
    if channel in MAX_BODY:
        return len(encode(markdown_payload(channel, title, text))) <= MAX_BODY[channel]
    return True


def signed_request(target: RobotTarget, payload: Mapping[str, Any], now: dt.datetime) -> tuple[str, bytes]:
    """The URL and body to POST, signed when the target has a secret."""
    url, body = target.url, dict(payload)
    if target.secret and target.channel == DINGTALK:
        ts = int(now.timestamp() * 1000)
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}timestamp={ts}&sign={quote_plus(dingtalk_signature(target.secret, ts))}"
    elif target.secret and target.channel == FEISHU:
        ts = int(now.timestamp())
        body = {"timestamp": str(ts), "sign": feishu_signature(target.secret, ts), **body}
    return url, encode(body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx surfaces as an HTTPError


def _reply_code(channel: str, data: bytes) -> tuple[int, str]:
    """(error code, message) from a service's JSON reply; (0, "") means accepted."""
    try:
        reply = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TransientFailure(f"{channel}: reply is not JSON") from None
    if not isinstance(reply, dict):
        raise TransientFailure(f"{channel}: unexpected reply")
    if channel == FEISHU:
        code = reply.get("code", reply.get("StatusCode", 0))
        message = reply.get("msg", reply.get("StatusMessage", ""))
    else:
        code, message = reply.get("errcode", 0), reply.get("errmsg", "")
    try:
        return int(code or 0), one_line(message, 200)
    except (TypeError, ValueError):
        raise TransientFailure(f"{channel}: unexpected reply") from None


class RobotClient:
    """POSTs JSON to robots and webhooks; one instance per `notify` run."""

    def __init__(self, timeout: float = 10) -> None:
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect())

    def _post(self, url: str, body: bytes, masked: str) -> bytes:
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "policywatch"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return bytes(response.read(MAX_REPLY))
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            reason = f"{masked}: HTTP {status}"
            if status in (408, 425, 429) or status >= 500:
                raise TransientFailure(reason) from None
            if 300 <= status < 400:
                raise PermanentFailure(f"{reason} (redirect not followed: check the URL)") from None
            raise PermanentFailure(reason) from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            raise TransientFailure(f"{masked}: cannot reach the endpoint: {why}") from None

    def send(self, target: RobotTarget, payload: Mapping[str, Any], now: dt.datetime) -> str:
        """Deliver one message; returns where it went (masked). Raises DeliveryFailure."""
        if target.secret_env and not target.secret:
            raise TransientFailure(
                f"{target.masked}: the signing secret's environment variable {target.secret_env} is not set"
            )
        url, body = signed_request(target, payload, now)
        data = self._post(url, body, target.masked)
        if target.channel == WEBHOOK:
            return target.masked
        code, message = _reply_code(target.channel, data)
        if code == 0:
            return target.masked
        reason = f"{target.masked}: error {code} {message}".rstrip()
        if code in PERMANENT_CODES.get(target.channel, frozenset()):
            raise PermanentFailure(reason)
        raise TransientFailure(reason)
