"""A digest as group-chat markdown (WeCom, DingTalk, Feishu) split into messages that fit.

Pure: the same per-change lines as the email digest (notifier.report's rows: what changed,
before → after, what it means for an electrician, the source document and its link), cut
at change boundaries into parts that each fit the channel's size limit, so each part is
sent, and accounted for, on its own. Crawled text is untrusted: markdown's active
characters become their full-width forms (no injected links, mentions or formatting), and
only http(s) source URLs become links.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from notifier.coverage import CoverageNote
from notifier.digest import certificate_meaning
from notifier.report import Row, build_groups
from rules.changes import Change
from rules.display import one_line
from rules.eligibility import ChangeEffect

# Characters that start markdown syntax (or chat mentions / HTML in some clients).
_ACTIVE = str.maketrans(
    {
        "\\": "＼",
        "*": "＊",
        "_": "＿",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "`": "｀",
        "~": "～",
        "#": "＃",
        "|": "｜",
    }
)
TOO_LONG = "…（内容过长，详见原文）"


def chat_text(value: object, limit: int | None = None) -> str:
    """Untrusted text for a chat line: one line, no markdown syntax, bounded."""
    return one_line("" if value is None else value, limit).translate(_ACTIVE)


def link_target(url: str) -> str:
    """A (safe http(s)) URL made unable to end a markdown link early."""
    for ch, rep in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), (" ", "%20")):
        url = url.replace(ch, rep)
    return url


@dataclass(frozen=True)
class ChatPart:
    """One message: its title (notification preview), markdown body and the changes it carries."""

    title: str
    text: str
    change_ids: tuple[int, ...]


def change_lines(row: Row, limit: int | None = None, effect: ChangeEffect | None = None) -> list[str]:
    """The lines of one change, as in the email digest (``effect``: what it does to the
    subscriber's profile)."""
    change = row.change
    head = f"**【{chat_text(row.verb)}】{chat_text(row.item, limit)}**"
    if change.electrician_related:
        head += "（电工相关）"
    lines = [head, chat_text(row.summary, limit)]
    for line in row.lines:
        before = chat_text(line.before, limit) if line.before is not None else "（无）"
        after = chat_text(line.after, limit) if line.after is not None else "（删除）"
        lines.append(f"{chat_text(line.label)}：{before} → {after}")
    meaning = certificate_meaning(change)
    if meaning:
        lines.append(f"对电工意味着：{chat_text(meaning, limit)}")
    if effect is not None:
        lines += [f"**对你：{chat_text(a, limit)}**" for a in effect.alerts]
        lines += [f"对你：{chat_text(line, limit)}（估计）" for line in effect.lines]
    source = row.source
    if source.title or source.doc_number or source.url_text:
        described = chat_text(source.describe(), limit)
        if source.url:
            lines.append(f"来源：[{described}]({link_target(source.url)})")
        else:
            lines.append(
                f"来源：{described}" + (f"（{chat_text(source.url_text, limit)}）" if source.url_text else "")
            )
    return lines


@dataclass(frozen=True)
class _Block:
    change_id: int
    heading: str  # the region · kind group it belongs to
    lines: tuple[str, ...]
    short: tuple[str, ...]  # the same, values cut short, for a change too long for one message


def _blocks(
    changes: Sequence[tuple[int, Change]], effects: Mapping[int, ChangeEffect] | None = None
) -> list[_Block]:
    ids = {id(c): cid for cid, c in changes}
    effects = effects or {}
    out = []
    for group in build_groups([c for _, c in changes]):
        heading = f"**{chat_text(group.region_label)} · {chat_text(group.kind_label)}**"
        for row in group.rows:
            effect = effects.get(ids[id(row.change)])
            full = change_lines(row, effect=effect)
            short = change_lines(row, 60, effect)
            short = [short[0], short[1], *(line for line in short[2:] if line.startswith("来源")), TOO_LONG]
            out.append(_Block(ids[id(row.change)], heading, tuple(full), tuple(short)))
    return out


def _coverage_lines(coverage: CoverageNote | None) -> list[str]:
    if coverage is None:
        return []
    lines = [chat_text(coverage.summary()) + "。"]
    if coverage.unread:
        lines.append(chat_text(coverage.unread_heading()))
        lines += [f"- {chat_text(u.describe())}" for u in coverage.unread]
    return lines


def render_chat_parts(
    changes: Sequence[tuple[int, Change]],
    *,
    why: str,
    contact: str,
    fits: Callable[[str, str], bool],
    newline: str = "\n",
    coverage: CoverageNote | None = None,
    feed_url: str | None = None,
    effects: Mapping[int, ChangeEffect] | None = None,
) -> list[ChatPart]:
    """The digest as messages that each ``fits(title, text)``, changes in report order.

    Every part has the same heading and footer; a change too long for a message of its own
    is shortened to its headline, summary and source link."""
    ordered = sorted(changes, key=lambda pair: pair[0])
    related = sum(c.electrician_related for _, c in ordered)
    blocks = _blocks(ordered, effects)
    footer = [f"为什么收到：{chat_text(why)}", f"修改或退订：请联系 {chat_text(contact)}"]
    if feed_url:
        footer.append(f"全部变化（Atom 订阅源）：[{chat_text(feed_url)}]({link_target(feed_url)})")
    footer.append("以上由 policywatch 根据政府网站公开信息自动生成，以原文为准。")

    def title(n: int, total: int) -> str:
        part = f"（{n}/{total}）" if total > 1 else ""
        return f"落户政策变化提醒{part}：{len(ordered)} 项（{related} 项与电工相关）"

    def compose(part: list[tuple[_Block, bool]], n: int, total: int) -> tuple[str, str]:
        head = [f"**policywatch {title(n, total)}**", *(_coverage_lines(coverage) if n == 1 else [])]
        body: list[str] = []
        current = None
        for block, short in part:
            if block.heading != current:
                body += ["", block.heading]
                current = block.heading
            body += ["", *(block.short if short else block.lines)]
        text = newline.join([*head, *body, "", "---", *footer])
        return title(n, total), text

    parts: list[list[tuple[_Block, bool]]] = []
    current: list[tuple[_Block, bool]] = []
    for block in blocks:
        n = len(parts) + 1
        for candidate in ((block, False), (block, True)):
            if fits(*compose([*current, candidate], n, 99)):
                current.append(candidate)
                break
            if current and fits(*compose([candidate], n + 1, 99)):
                parts.append(current)
                current = [candidate]
                break
        else:
            if current:
                parts.append(current)
            current = [(block, True)]  # too long even alone and short: sent anyway, cut by the client
    if current:
        parts.append(current)
    total = len(parts)
    out = []
    for n, part in enumerate(parts, 1):
        t, text = compose(part, n, total)
        out.append(ChatPart(t, text, tuple(sorted(b.change_id for b, _ in part))))
    return out


def webhook_payload(
    message_id: str, part: ChatPart, changes: Sequence[tuple[int, Change]], subscriber_name: str | None
) -> dict[str, Any]:
    """The generic webhook's JSON: the digest as markdown plus each change as diff-report JSON.

    ``id`` is the same for a re-sent digest (after a crash), so a receiver can drop a duplicate.
    """
    return {
        "type": "policywatch.digest",
        "id": message_id,
        "title": part.title,
        "subscriber": subscriber_name,
        "text": part.text,
        "changes": [{"id": cid, **c.to_json()} for cid, c in sorted(changes, key=lambda pair: pair[0])],
    }
