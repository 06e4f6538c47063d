"""An eligibility estimate for people: text, markdown, HTML (phone-width) or JSON.

Pure rendering of rules.eligibility results; crawled text (items, channels, titles) is made
one line, escaped in markdown and HTML, and links are http(s) only.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jinja2

from notifier.report import _md, safe_url
from rules.display import number, one_line
from rules.eligibility import DocRef, Estimate, RegionEstimate, TalentResult

Format = Literal["text", "markdown", "html", "json"]
FORMATS: tuple[str, ...] = ("text", "markdown", "html", "json")
_TEMPLATES = Path(__file__).parent / "templates"
TITLE = "落户条件估计"
_MET = {True: "符合", False: "不符合", None: "无法判断"}


@dataclass(frozen=True)
class RegionView:
    """One region's estimate in the words people read."""

    estimate: RegionEstimate
    headline: str
    cutoff_line: str | None
    help: list[str]

    @property
    def label(self) -> str:
        return self.estimate.label


def _cutoff_line(r: RegionEstimate) -> str | None:
    if r.cutoff is None:
        return None
    margin = r.margin
    line = f"{r.cutoff_year} 年分数线 {number(r.cutoff_score)} 分"
    if margin is None:
        return line
    state = r.above_cutoff()
    if state is True:
        return f"{line}：你估计高出 {number(margin)} 分"
    if state is False:
        return f"{line}：你估计还差 {number(-margin)} 分"
    return f"{line}：按已知项目差 {number(-margin)} 分，无法判断的项目可能补上"


def _headline(r: RegionEstimate) -> str:
    parts = []
    if r.has_points:
        parts.append(f"积分估计 {r.points_text()} 分")
    for channel, met in r.channels().items():
        parts.append(f"{channel}：{_MET[met]}")
    return "；".join(parts) or "没有在库的落户规则"


def views(estimate: Estimate) -> list[RegionView]:
    out = []
    for r in estimate.regions:
        mine = [
            f"{s.change} → {e.split('：', 1)[1]}"
            for s in estimate.suggestions
            for e in s.effects
            if e.startswith(r.label + "：")
        ]
        out.append(RegionView(r, _headline(r), _cutoff_line(r), mine))
    return out


def _doc(doc: DocRef) -> str:
    return one_line(doc.describe(), 120)


def _requirement(t: TalentResult) -> str:
    return f"{one_line(t.channel, 40)} · {one_line(t.requirement, 40)}"


def _stamp(at: dt.date) -> str:
    return f"规则在 {at.isoformat()} 生效的版本"


# ---------------------------------------------------------------- text


def render_text(estimate: Estimate, at: dt.date) -> str:
    out = [f"{TITLE}（{_stamp(at)}）", estimate.note, ""]
    for v in views(estimate):
        r = v.estimate
        out.append(f"== {v.label}：{v.headline} ==")
        if r.has_points:
            out.append("积分落户：")
            for p in r.points_items:
                out.append(f"  {number(p.points):>4} 分  {one_line(p.item, 60)}（{one_line(p.how, 80)}）")
            for u in r.unknown_items:
                out.append(f"     ?   {one_line(u.label(), 120)}")
            out.append(
                f"  合计 {r.points_text()} 分"
                + ("（含无法判断的项目，为范围）" if r.points_total is None else "")
            )
            if v.cutoff_line:
                out.append(f"  {v.cutoff_line}")
        if r.talent:
            out.append("人才 / 技能人才落户：")
            for t in r.talent:
                out.append(f"  [{_MET[t.met]}] {_requirement(t)}")
                out += [f"      缺：{one_line(m, 100)}" for m in t.missing]
                out += [f"      未知：{one_line(m, 100)}" for m in t.unknown]
        if v.help:
            out.append("最有帮助的改变：")
            out += [f"  - {one_line(h, 160)}" for h in v.help]
        out += [f"  注：{n}" for n in r.notes]
        out.append("依据：")
        out += [f"  - {_doc(d)}  {d.url or ''}".rstrip() for d in r.documents]
        out.append("")
    if not estimate.regions:
        out.append("没有任何地区有在库的落户规则（积分、人才落户或分数线）。")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- markdown


def _md_doc(doc: DocRef) -> str:
    url = safe_url(doc.url)
    text = _md(doc.describe()) or "原文"
    return f"[{text}]({url.replace('(', '%28').replace(')', '%29')})" if url else text


def render_markdown(estimate: Estimate, at: dt.date) -> str:
    out = [f"# {TITLE}", "", f"*{_stamp(at)}。{_md(estimate.note)}*", ""]
    for v in views(estimate):
        r = v.estimate
        out += [f"## {_md(v.label)}：{_md(v.headline)}", ""]
        if r.has_points:
            out += ["**积分落户**", "", "| 分 | 项目 | 怎么算 | 依据 |", "|---:|---|---|---|"]
            for p in r.points_items:
                out.append(f"| {number(p.points)} | {_md(p.item)} | {_md(p.how)} | {_md_doc(p.doc)} |")
            for u in r.unknown_items:
                out.append(f"| ? | {_md(u.item)} | {_md(u.label())} | {_md_doc(u.doc)} |")
            out += [
                "",
                f"合计 **{r.points_text()}** 分"
                + ("（含无法判断的项目，为范围）" if r.points_total is None else ""),
            ]
            if v.cutoff_line:
                out.append(f"；{_md(v.cutoff_line)}")
            out.append("")
        if r.talent:
            out += ["**人才 / 技能人才落户**", ""]
            for t in r.talent:
                detail = "；".join([*(f"缺：{m}" for m in t.missing), *(f"未知：{m}" for m in t.unknown)])
                out.append(
                    f"- **{_MET[t.met]}** {_md(_requirement(t))}" + (f" — {_md(detail)}" if detail else "")
                )
            out.append("")
        if v.help:
            out += ["**最有帮助的改变**", ""] + [f"- {_md(h)}" for h in v.help] + [""]
        out += [f"> {_md(n)}" for n in r.notes]
        if r.notes:
            out.append("")
        out += ["依据：" + "；".join(_md_doc(d) for d in r.documents), ""]
    if not estimate.regions:
        out.append("没有任何地区有在库的落户规则（积分、人才落户或分数线）。")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- html


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = number
    env.filters["safe_url"] = safe_url
    env.filters["one_line"] = one_line
    return env


def render_html(estimate: Estimate, at: dt.date) -> str:
    return (
        _environment()
        .get_template("eligibility.html.j2")
        .render(title=TITLE, stamp=_stamp(at), note=estimate.note, regions=views(estimate), met=_MET)
    )


def render_estimate(estimate: Estimate, fmt: str, at: dt.date) -> str:
    if fmt == "json":
        return json.dumps(estimate.to_json(), ensure_ascii=False, indent=2)
    if fmt == "text":
        return render_text(estimate, at)
    if fmt == "markdown":
        return render_markdown(estimate, at)
    if fmt == "html":
        return render_html(estimate, at)
    raise ValueError(f"unknown format: {fmt!r} ({', '.join(FORMATS)})")
