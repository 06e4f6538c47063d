"""Where a browser goes for a Location header or a refresh: the one normalisation of a target.

Python's ``urljoin`` reads ``///host/x`` and ``http:\\\\host\\x`` as paths on the current host,
while browsers (the WHATWG URL standard, for http and https) and Scrapy go to ``host``. The
off-site check must judge the URL a browser would fetch, so targets are normalised here
first: tabs and newlines removed, controls and spaces stripped at the ends, backslashes read
as slashes, two or more leading slashes (after an optional scheme) read as a host.
No Scrapy here: the rule is plain URL handling.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

WEB_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_EDGE = "".join(map(chr, range(0x21)))  # C0 controls and space
_INSIDE = re.compile("[\t\n\r]")
# "0; url='…'" — the delay, an optional "url=", an optional quote (the refresh syntax of HTML)
_REFRESH = re.compile(r"""^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(?P<quote>['"]?)(?P<url>.*)$""", re.I | re.S)


def redirect_target(base: str, location: str) -> str:
    """The absolute URL a browser fetches for ``location`` seen on the page ``base``."""
    text = _INSIDE.sub("", location.strip(_EDGE)).replace("\\", "/")
    base_scheme = urlsplit(base).scheme.lower()
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else base_scheme
    rest = text[match.end() :] if match else text
    if scheme in WEB_SCHEMES and (scheme != base_scheme or rest.startswith("//")):
        return f"{scheme}://{rest.lstrip('/')}"  # a host, however many slashes precede it
    try:
        return urljoin(base, rest if scheme == base_scheme else text)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host: no URL, hence no allowed host
        return text


def refresh_target(base: str, content: str) -> str | None:
    """The URL a refresh (``<meta http-equiv="refresh" content>`` or a Refresh header) goes to,
    or None when it only reloads the page."""
    match = _REFRESH.match(content)
    assert match is not None  # every part of the pattern is optional
    url = match["url"]
    if match["quote"]:
        url = url.split(match["quote"], 1)[0]
    return redirect_target(base, url) if url.strip(_EDGE) else None
