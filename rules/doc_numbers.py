"""文号 (document numbers): one normal form, so a 废止 clause and the document it names agree."""

from __future__ import annotations

import re

from .text import squash

_OPEN = "〔[【(（［﹝〖{"
_CLOSE = "〕]】)）］﹞〗}"
DOC_NUMBER = re.compile(
    rf"([\u4e00-\u9fff]{{1,12}}?)\s*[{re.escape(_OPEN)}]\s*((?:19|20)\d{{2}})\s*[{re.escape(_CLOSE)}]\s*第?\s*(\d{{1,4}})\s*号"
)
_NOT_PREFIX = re.compile(r"^(?:文号|发文字号|号|的|和|及|与|根据|按照|依据|印发|转发|关于|原|《|于|经)+")


def normalise_doc_number(text: str | None) -> str | None:
    """闽人社文[2025]12号 / 闽人社文（2025）第12号 → 闽人社文〔2025〕12号."""
    if not text:
        return None
    m = DOC_NUMBER.search(squash(text).replace("(", "（").replace(")", "）"))
    if not m:
        return None
    prefix = _NOT_PREFIX.sub("", m.group(1))
    if not prefix:
        return None
    return f"{prefix}〔{m.group(2)}〕{int(m.group(3))}号"
