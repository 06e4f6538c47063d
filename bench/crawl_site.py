"""Generates the big local TRS-style site the crawl benchmark serves (into a temp dir).

``sources`` sections of ``per_source`` announcements each, 25 rows per list page (both
pagination kinds, alternating), detail pages of realistic size with 信息公开 tables, and
one attachment on each relevant announcement.
"""

from __future__ import annotations

import random
from pathlib import Path

ROWS_PER_PAGE = 25
FILLER = "根据国家和省有关规定，结合本市实际，现就有关事项通知如下。各单位要高度重视，认真组织实施，确保各项工作落到实处。"


def _page(title: str, body: str) -> str:
    nav = "".join(f'<li><a href="/nav{i}/">栏目{i}</a></li>' for i in range(12))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}-某市人力资源和社会保障局</title>'
        f'<link rel="stylesheet" href="/css/trt.css"></head><body><div class="trt-header"><ul class="trt-nav">{nav}</ul></div>'
        f'{body}<div class="trt-footer"><p>主办：某市人力资源和社会保障局 网站标识码：3502000021</p>'
        "<p>版权所有 扫一扫在手机上查看当前页面</p></div></body></html>"
    )


def _pager(kind: str, pages: int, current: int, records: int) -> str:
    if kind == "createPageHTML":
        return f'<script>createPageHTML({pages}, {current}, "index", "htm");</script>'
    return (
        "<script>require(['list2.trsapi'], function (listModel) { listModel({ maxStaticIndex: "
        f"{pages - 1}, pagebar: {{ prepage: {ROWS_PER_PAGE}, recordCount: '{records}' }} }}); }});</script>"
    )


def generate(
    root: Path, sources: int = 8, per_source: int = 250, attachments: int = 200, seed: int = 7
) -> list[str]:
    """Write the site under ``root``; returns the list-page path of each source."""
    rng = random.Random(seed)
    relevant_every = max(1, (sources * per_source) // max(attachments, 1))
    sections, n = [], 0
    for s in range(sources):
        section = f"/s{s}/tzgg/"
        sections.append(section)
        kind = "createPageHTML" if s % 2 else "listModel"
        pages = -(-per_source // ROWS_PER_PAGE)
        rows: list[str] = []
        for i in range(per_source):
            n += 1
            day = 1 + i % 28
            month = 1 + (i // 28) % 12
            stamp = f"2025{month:02d}{day:02d}"
            relevant = n % relevant_every == 0
            title = f"关于{'积分落户' if relevant else '社会保险'}工作第{n}号事项的通知（{s}区）"
            href = f"./2025{month:02d}/t{stamp}_{100000 + n}.htm"
            rows.append(
                f'<li><a href="{href}" title="{title}">{title[:14]}…</a><span>2025-{month:02d}-{day:02d}</span></li>'
            )
            att = ""
            if relevant:
                name = f"P0{stamp}{rng.randrange(10**11, 10**12)}.pdf"
                att = f'<div class="fj">附件：<a href="./{name}">附件{n}.pdf</a></div>'
                data = b"%PDF-1.4\n" + rng.randbytes(20_000) + b"\n%%EOF\n"
                (root / section.strip("/") / f"2025{month:02d}").mkdir(parents=True, exist_ok=True)
                (root / section.strip("/") / f"2025{month:02d}" / name).write_bytes(data)
            info = (
                f'<table class="xxgk"><tr><td>索引号：</td><td>FJ-2025-{n:06d}</td><td>发文机关：</td><td>某市人社局</td></tr>'
                f"<tr><td>发文字号：</td><td>某人社〔2025〕{n}号</td><td>发布日期：</td><td>2025-{month:02d}-{day:02d}</td></tr></table>"
            )
            paras = "".join(f"<p>{FILLER * rng.randint(1, 3)}</p>" for _ in range(rng.randint(8, 16)))
            body = (
                f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2025-{month:02d}-{day:02d} 09:00">'
                f'<div class="article">{info}<h1>{title}</h1><div class="TRS_Editor">{paras}</div>{att}</div>'
            )
            path = root / section.strip("/") / f"2025{month:02d}" / f"t{stamp}_{100000 + n}.htm"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_page(title, body), encoding="utf-8")
        for p in range(pages):
            chunk = rows[p * ROWS_PER_PAGE : (p + 1) * ROWS_PER_PAGE]
            body = (
                f'<div class="trt-list"><ul>{"".join(chunk)}</ul></div>{_pager(kind, pages, p, per_source)}'
            )
            name = "index.htm" if p == 0 else f"index_{p}.htm"
            (root / section.strip("/") / name).write_text(_page("通知公告", body), encoding="utf-8")
    return sections


def sources_toml(
    urls: list[str],
    pages: int,
    *,
    prefix: str = "bench",
    regions: tuple[str, ...] = ("xiamen",),
    builtins_off: bool = False,
) -> str:
    """One [sources.<prefix>-N] block per generated section (the benches crawl them all);
    ``builtins_off``: the built-in sources disabled too, for a bench that runs ``run --all``."""
    from crawlers.registry import builtin_sources

    off = [f"[sources.{sid}]\nenabled = false\n" for sid in builtin_sources()] if builtins_off else []
    return "\n".join(
        off
        + [
            f'[sources.{prefix}-{i}]\nname = "基准 {i}"\nauthority = "hrss"\nregion = "{regions[i % len(regions)]}"\n'
            f'family = "trs"\nstart_urls = ["{url}"]\nlist_pages = {pages}\n'
            for i, url in enumerate(urls)
        ]
    )
