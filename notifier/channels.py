"""Channels a subscriber can be reached on, and what a valid destination looks like.

Pure (no network): validation of robot and webhook URLs, the ``KIND:URL`` form, and the
masked form of a destination for listings and logs. A robot URL is a credential (anyone
holding it can post into the group), so it is shown and logged only masked.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

EMAIL = "email"
WECOM = "wecom"
DINGTALK = "dingtalk"
FEISHU = "feishu"
WEBHOOK = "webhook"
CHANNELS: tuple[str, ...] = (EMAIL, WECOM, DINGTALK, FEISHU, WEBHOOK)
URL_CHANNELS: tuple[str, ...] = (WECOM, DINGTALK, FEISHU, WEBHOOK)
SIGNED_CHANNELS: tuple[str, ...] = (DINGTALK, FEISHU)  # an optional signing secret

LABELS = {
    EMAIL: "邮件",
    WECOM: "企业微信群机器人",
    DINGTALK: "钉钉群机器人",
    FEISHU: "飞书群机器人",
    WEBHOOK: "JSON webhook",
}

# The services' own hosts; a robot URL elsewhere is most likely a typo that would hand the
# group's key to a stranger. Loopback is accepted for test endpoints.
OFFICIAL_HOSTS: dict[str, tuple[str, ...]] = {
    WECOM: ("qyapi.weixin.qq.com",),
    DINGTALK: ("oapi.dingtalk.com",),
    FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}
EXAMPLES = {
    WECOM: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY",
    DINGTALK: "https://oapi.dingtalk.com/robot/send?access_token=TOKEN",
    FEISHU: "https://open.feishu.cn/open-apis/bot/v2/hook/ID",
    WEBHOOK: "https://hooks.example.org/policywatch",
}
MAX_URL = 1000
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")
_TOKENISH = re.compile(r"^[A-Za-z0-9_\-]{16,}$")


class InvalidDestination(ValueError):
    """Not a destination policywatch will send to."""


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: a test endpoint on this machine."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shape_problem(channel: str, path: str, query: dict[str, str]) -> str | None:
    if channel == WECOM and not (path.endswith("/cgi-bin/webhook/send") and query.get("key")):
        return "a WeCom group-robot URL ends in /cgi-bin/webhook/send?key=…"
    if channel == DINGTALK and not (path.endswith("/robot/send") and query.get("access_token")):
        return "a DingTalk robot URL ends in /robot/send?access_token=…"
    if channel == FEISHU and not re.search(r"/open-apis/bot/v2/hook/[A-Za-z0-9_\-]+$", path):
        return "a Feishu/Lark bot URL ends in /open-apis/bot/v2/hook/<id>"
    return None


def validate_url(channel: str, raw: str) -> str:
    """The URL as stored (trimmed); raises InvalidDestination saying what was expected.

    https only (http is accepted for a loopback test endpoint), a host, no spaces or control
    characters; robots must have their service's shape and host (or loopback).
    """
    if channel not in URL_CHANNELS:
        raise InvalidDestination(f"unknown channel {channel!r} (one of {', '.join(URL_CHANNELS)})")
    url = raw.strip()
    example = f" like {EXAMPLES[channel]}"
    if not url or len(url) > MAX_URL or _UNSAFE.search(url):
        raise InvalidDestination(f"{channel}: expected one URL{example} (at most {MAX_URL} characters)")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidDestination(f"{channel}: not a URL: expected one{example}") from None
    loopback = is_loopback(host)
    if not host or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not loopback):
        raise InvalidDestination(f"{channel}: expected an https:// URL{example} (http only on 127.0.0.1)")
    if parts.fragment:
        raise InvalidDestination(f"{channel}: a URL without a #fragment expected")
    if channel != WEBHOOK:
        if parts.username or parts.password:
            raise InvalidDestination(f"{channel}: a robot URL has no user name or password")
        problem = _shape_problem(channel, parts.path, dict(parse_qsl(parts.query)))
        if problem:
            raise InvalidDestination(f"{channel}: {problem}{example}")
        if not loopback and host.lower() not in OFFICIAL_HOSTS[channel]:
            hosts = " or ".join(OFFICIAL_HOSTS[channel])
            raise InvalidDestination(f"{channel}: the robot's host is {hosts}, not {host}")
    return url


def parse_channel_option(value: str) -> tuple[str, str]:
    """``KIND:URL`` (``--channel wecom:https://…``) -> (kind, URL), URL validated."""
    kind, sep, url = value.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in URL_CHANNELS:
        raise InvalidDestination(f"--channel: expected KIND:URL with KIND one of {', '.join(URL_CHANNELS)}")
    return kind, validate_url(kind, url)


def _mask(value: str) -> str:
    return (value[:4] if len(value) > 8 else "") + "***"


def mask_url(url: str) -> str:
    """The URL with its credentials hidden: query values, user info and token-like path parts."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "***"
    netloc = (
        ("***@" if parts.username or parts.password else "") + (f"[{host}]" if ":" in host else host) + port
    )
    path = "/".join(_mask(seg) if _TOKENISH.match(seg) else seg for seg in parts.path.split("/"))
    query = urlencode([(k, _mask(v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def describe(channel: str, address: str) -> str:
    """``wecom https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1234***``; email as is."""
    return f"{channel} {address if channel == EMAIL else mask_url(address)}"
