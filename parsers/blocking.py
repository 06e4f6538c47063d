"""Anti-bot answers of the Fujian sites: a challenge is "blocked", never "no news".

瑞数 (Rivers Security) answers 412 with an inline ``$_ts`` script, 加速乐 answers 521 with a
``__jsluid`` cookie, and a failed challenge can be a 200 page with hardly any text. Callers
pass what they know; positive evidence of content (expected selectors) is their job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
_SPACE = re.compile(r"\s+")
NEAR_EMPTY_CHARS = 80  # visible characters below which a 200 page carries no content


def visible_text(html: str) -> str:
    """The page text without tags, scripts or styles, whitespace squashed."""
    return _SPACE.sub(" ", _TAGS.sub(" ", html)).strip()


def detect_block(status: int, headers: Mapping[str, str], html: str) -> str | None:
    """Why this response is an anti-bot challenge, or None when it does not look like one.

    ``headers`` maps lower-case names to values (Set-Cookie values joined).
    """
    cookies = headers.get("set-cookie", "")
    if status == 412 or "$_ts" in html[:20000]:
        if status == 412 or len(visible_text(html)) < NEAR_EMPTY_CHARS:
            return f"HTTP {status} with a $_ts challenge (瑞数)" if "$_ts" in html else f"HTTP {status}"
    # 加速乐 sets __jsluid on every page it passes through: only a near-empty one is a challenge
    if status == 521 or ("__jsluid" in cookies and len(visible_text(html)) < NEAR_EMPTY_CHARS):
        return f"HTTP {status} with a __jsluid cookie (加速乐)"
    if status in (403, 429) and ("waf" in html.lower() or len(visible_text(html)) < NEAR_EMPTY_CHARS):
        return f"HTTP {status} from a firewall"
    return None


def is_near_empty(html: str) -> bool:
    """A page with almost no visible text: a failed challenge or a JavaScript-only shell."""
    return len(visible_text(html)) < NEAR_EMPTY_CHARS
