"""``diff-report`` rendering: one list of changes, four audiences (terminal, chat, browser, tools).

Every format groups by region then kind and shows before → after per changed field. All
crawled text is untrusted: it is kept on one line for text/markdown, stripped of terminal
control sequences, and auto-escaped in HTML, where only http(s) URLs become links.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import jinja2

from notifier.columns import render_table
from notifier.coverage import CoverageNote
from notifier.localtime import local_time
from rules.changes import CHANGE_LABELS, Change
from rules.display import display_value, one_line
from rules.regions import REGIONS, region_label
from rules.registry import KINDS, RULE_KINDS
from rules.summary import describe_row, kind_label

ReportFormat = Literal["text", "markdown", "html", "json"]
DEFAULT_TITLE = "落户政策变化报告"
NO_CHANGES = "本期无政策变化 (no changes in this period)."
_TEMPLATES = Path(__file__).parent / "templates"
_CELL = 36  # widest text cell, in terminal columns


# ---------------------------------------------------------------- the view model


@dataclass(slots=True)
class Line:
    """One before → after pair of a change; added rows have no before, removed no after."""

    label: str
    before: str | None
    after: str | None


@dataclass(slots=True)
class Source:
    title: str
    doc_number: str
    url: str | None  # only http(s); anything else is shown as text, never linked
    url_text: str
    published_at: str
    effective_at: str
    detected_at: str

    def describe(self) -> str:
        parts = [self.title or "(无标题)"]
        if self.doc_number:
            parts.append(self.doc_number)
        if self.published_at:
            parts.append(f"发布 {self.published_at}")
        if self.effective_at:
            parts.append(f"施行 {self.effective_at}")
        return " ".join(parts)


@dataclass(slots=True)
class Row:
    change: Change
    verb: str
    item: str
    summary: str
    lines: list[Line]
    source: Source


@dataclass(slots=True)
class Group:
    region: str
    region_label: str
    kind: str
    kind_label: str
    rows: list[Row] = field(default_factory=list)

    def sources(self) -> list[Source]:
        seen: dict[tuple[str, str, str], Source] = {}
        for row in self.rows:
            s = row.source
            if s.title or s.url_text or s.doc_number:
                seen.setdefault((s.title, s.doc_number, s.url_text), s)
        return list(seen.values())


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL, else None (javascript:, data:, relative …)."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in url for c in "\r\n\t "):
        return url
    return None


def item_label(change: Change) -> str:
    """What the change is about, in the words a reader uses (not the storage key)."""
    return KINDS[change.kind].item_label(change.after or change.before or {}, change.key, _CELL)


def _lines(change: Change) -> list[Line]:
    if change.change == "modified":
        b, a = change.before or {}, change.after or {}
        labels = KINDS[change.kind].field_labels
        return [
            Line(labels.get(n, n), display_value(n, b.get(n)), display_value(n, a.get(n)))
            for n in change.fields_changed
        ]
    row = change.after if change.change == "added" else change.before
    text = describe_row(change.kind, row or {})
    return [Line("内容", None, text) if change.change == "added" else Line("内容", text, None)]


def _source(change: Change, tz: dt.tzinfo | None) -> Source:
    """``tz``: the reader's timezone (schedule.timezone); times are shown in it, not in UTC."""
    p = change.provenance
    return Source(
        title=one_line(p.document_title or "", 120),
        doc_number=one_line(p.doc_number or "", 60),
        url=safe_url(p.source_url),
        url_text=one_line(p.source_url or "", 300),
        published_at=p.published_at.isoformat() if p.published_at else "",
        effective_at=p.effective_at.isoformat() if p.effective_at else "",
        detected_at=local_time(p.detected_at, tz) if p.detected_at else "",
    )


def _order(value: str, known: Sequence[str]) -> tuple[int, str]:
    return (known.index(value), "") if value in known else (len(known), value)


def build_groups(changes: Sequence[Change], tz: dt.tzinfo | None = None) -> list[Group]:
    """Changes grouped by region (province first) then kind, each group in diff order."""
    groups: dict[tuple[str, str], Group] = {}
    for c in changes:
        group = groups.get((c.region, c.kind))
        if group is None:
            group = groups[(c.region, c.kind)] = Group(
                c.region, region_label(c.region), c.kind, kind_label(c.kind)
            )
        verb = CHANGE_LABELS.get(c.change, c.change)
        if c.renamed_from:
            verb += "(更名)"
        group.rows.append(Row(c, verb, item_label(c), one_line(c.summary), _lines(c), _source(c, tz)))
    return [
        groups[k] for k in sorted(groups, key=lambda k: (_order(k[0], REGIONS), _order(k[1], RULE_KINDS)))
    ]


def _counts(changes: Sequence[Change]) -> str:
    related = sum(c.electrician_related for c in changes)
    return f"共 {len(changes)} 项变化，其中 {related} 项与电工相关"


def _stamp(generated_at: dt.datetime | None) -> str:
    return f"生成时间: {generated_at.isoformat(sep=' ', timespec='minutes')}" if generated_at else ""


def _headline(coverage: CoverageNote | None, has_changes: bool) -> list[str]:
    """What was read (with changes) or "no changes" for what was read (without).

    Without a coverage note (a caller that knows nothing of the crawls, e.g. a test of the
    renderer) the old sentence stands for an empty list."""
    if coverage is None:
        return [] if has_changes else [NO_CHANGES]
    return [coverage.summary() + "。" if has_changes else coverage.no_changes()]


# ---------------------------------------------------------------- text


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    return render_table(header, [[one_line(c) for c in row] for row in body], cell_width=_CELL)


def _flags(change: Change) -> str:
    flags = []
    if change.electrician_related:
        flags.append("电工")
    if not change.substantive:
        flags.append("措辞")
    if change.parser_upgrade:
        flags.append("解析升级")
    return ",".join(flags)


def _text_coverage(coverage: CoverageNote | None, has_changes: bool) -> list[str]:
    """The coverage lines, then the sources that could not be read, one a line."""
    out = _headline(coverage, has_changes)
    if coverage and coverage.unread:
        out += [coverage.unread_heading(), *(f"  - {u.describe()}" for u in coverage.unread)]
    return out


def render_text(
    changes: Sequence[Change],
    title: str,
    generated_at: dt.datetime | None,
    coverage: CoverageNote | None = None,
) -> str:
    head = [one_line(title)] + ([_stamp(generated_at)] if generated_at else [])
    if not changes:
        return "\n".join([*head, "", *_text_coverage(coverage, False)]) + "\n"
    out = [*head, _counts(changes), *_text_coverage(coverage, True), ""]
    for group in build_groups(changes):
        out.append(f"== {group.region_label} · {group.kind_label} ({group.region}/{group.kind}) ==")
        body = []
        for row in group.rows:
            for n, line in enumerate(row.lines):
                lead = [row.verb, row.item, _flags(row.change)] if n == 0 else ["", "", ""]
                body.append([*lead, line.label, line.before or "—", "→", line.after or "—"])
        out += _table(["变化", "项目", "标记", "字段", "之前", "", "之后"], body)
        for source in group.sources():
            out.append(f"来源: {source.describe()} {source.url_text}".rstrip())
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- markdown


def _md(text: str | None) -> str:
    """A markdown table cell: one line, pipes escaped, no raw HTML."""
    if not text:
        return ""
    out = one_line(text)
    for ch, rep in (("\\", "\\\\"), ("|", "\\|"), ("<", "&lt;"), (">", "&gt;"), ("*", "\\*"), ("_", "\\_")):
        out = out.replace(ch, rep)
    for ch in "[]`~":
        out = out.replace(ch, "\\" + ch)
    return out


def _md_link(source: Source) -> str:
    text = _md(source.describe())
    if source.url:
        url = source.url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        return f"[{text}]({url})"
    return text + (f" ({_md(source.url_text)})" if source.url_text else "")


def _md_coverage(coverage: CoverageNote | None, has_changes: bool) -> list[str]:
    """The coverage paragraphs, the unread sources as a list (names escaped)."""
    out = [_md(line) for line in _headline(coverage, has_changes)]
    if coverage and coverage.unread:
        out += ["", _md(coverage.unread_heading()), "", *(f"- {_md(u.describe())}" for u in coverage.unread)]
    return out


def render_markdown(
    changes: Sequence[Change],
    title: str,
    generated_at: dt.datetime | None,
    coverage: CoverageNote | None = None,
) -> str:
    out = [f"# {_md(title)}", ""]
    if generated_at:
        out += [f"_{_stamp(generated_at)}_", ""]
    if not changes:
        return "\n".join([*out, *_md_coverage(coverage, False)]) + "\n"
    out += [_counts(changes), ""]
    if coverage:
        out += [*_md_coverage(coverage, True), ""]
    for group in build_groups(changes):
        out += [f"## {_md(group.region_label)} · {_md(group.kind_label)}", ""]
        out += ["| 变化 | 项目 | 字段 | 之前 | 之后 | 电工相关 |", "|---|---|---|---|---|---|"]
        for row in group.rows:
            for n, line in enumerate(row.lines):
                verb, item = (row.verb, row.item) if n == 0 else ("", "")
                before = f"~~{_md(line.before)}~~" if line.before else "—"
                after = f"**{_md(line.after)}**" if line.after else "—"
                related = ("是" if row.change.electrician_related else "否") if n == 0 else ""
                out.append(
                    f"| {_md(verb)} | {_md(item)} | {_md(line.label)} | {before} | {after} | {related} |"
                )
        sources = group.sources()
        if sources:
            out += ["", "来源: " + "；".join(_md_link(s) for s in sources)]
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- html


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(
    changes: Sequence[Change],
    title: str,
    generated_at: dt.datetime | None,
    coverage: CoverageNote | None = None,
) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=one_line(title),
        stamp=_stamp(generated_at),
        counts=_counts(changes) if changes else "",
        groups=build_groups(changes, generated_at.tzinfo if generated_at else None),
        headline=_headline(coverage, bool(changes)),
        coverage=coverage,
    )


# ---------------------------------------------------------------- entry point


def render_report(
    changes: Sequence[Change],
    fmt: ReportFormat,
    *,
    title: str = DEFAULT_TITLE,
    generated_at: dt.datetime | None = None,
    coverage: CoverageNote | None = None,
) -> str:
    """The report in one format; no ``generated_at`` means no timestamp (reproducible output).

    ``coverage`` says which sources were read; text, markdown and html carry it. JSON stays
    the plain list of changes it always was (the caller reports coverage elsewhere)."""
    if fmt == "json":
        data: list[dict[str, Any]] = [c.to_json() for c in changes]
        return json.dumps(data, ensure_ascii=False, indent=2)
    if fmt == "text":
        return render_text(changes, title, generated_at, coverage)
    if fmt == "markdown":
        return render_markdown(changes, title, generated_at, coverage)
    if fmt == "html":
        return render_html(changes, title, generated_at, coverage)
    raise ValueError(f"unknown report format: {fmt!r} (text, markdown, html or json)")
