"""diff-report rendering: every format shows the values, and crawled text stays inert."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from notifier.columns import display_width
from notifier.report import NO_CHANGES, render_report, safe_url
from rules import CutoffScore, PointsItem, RuleRow, ShortageEntry
from rules.changes import Change, ChangeProvenance
from rules.diff import diff_rule_sets
from rules.summary import subject_line

CHROMIUM = "/usr/bin/chromium"
EVIL_TITLE = '泉州市积分落户办法<script>alert("x")</script>\r\nBcc: evil@example.com'
GENERATED = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def electric(row: RuleRow) -> bool:
    return any(isinstance(v, str) and ("电工" in v or "级" in v) for v in row.fields().values())


@pytest.fixture(scope="module")
def changes() -> list[Change]:
    quanzhou = ChangeProvenance(
        source_url="https://rsj.quanzhou.gov.cn/zwgk/tzgg/202603/t20260301_1.htm",
        document_title=EVIL_TITLE,
        doc_number="泉人社〔2026〕3号",
        published_at=dt.date(2026, 3, 1),
        effective_at=dt.date(2026, 4, 1),
        detected_at=dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC),
    )
    xiamen = ChangeProvenance(
        source_url="javascript:alert(1)",
        document_title="厦门市紧缺职业目录",
        published_at=dt.date(2026, 2, 1),
    )
    points = diff_rule_sets(
        [
            PointsItem("技能水平", "五级/初级工", 10.0),
            PointsItem("社保缴纳", "社保缴纳", 2.0, per="年", cap=20.0),
        ],
        [
            PointsItem("技能水平", "五级/初级工", 15.0),
            PointsItem("社保缴纳", "社保缴纳", 3.0, per="年", cap=24.0),
        ],
        region="quanzhou",
        kind="points_schedule",
        relevant=electric,
        provenance=quanzhou,
    )
    shortage = diff_rule_sets(
        [ShortageEntry("维修电工", "维修电工", code="6-31-01-03"), ShortageEntry("焊工|钳工", "焊工|钳工")],
        [
            ShortageEntry("电工", "电工", code="6-31-01-03"),
            ShortageEntry("继电保护员", "继电保护员", code="6-28-01-15", level="三级/高级工"),
        ],
        region="xiamen",
        kind="shortage_occupations",
        relevant=electric,
        provenance=xiamen,
    )
    cutoff = diff_rule_sets(
        [CutoffScore(2026, 115.0, 1300)],
        [CutoffScore(2027, 120.0, 1500)],
        region="fuzhou",
        kind="points_cutoff",
        relevant=electric,
    )
    return points + shortage + cutoff


def test_changes_fixture_is_what_we_think(changes: list[Change]) -> None:
    assert [(c.region, c.change, c.key) for c in changes] == [
        ("quanzhou", "modified", "技能水平|五级/初级工"),
        ("quanzhou", "modified", "社保缴纳|社保缴纳"),
        ("xiamen", "added", "6-28-01-15"),
        ("xiamen", "modified", "6-31-01-03"),
        ("xiamen", "removed", "焊工|钳工"),
        ("fuzhou", "added", "2027"),
    ]


# ---------------------------------------------------------------- text


def test_text_groups_and_values(changes: list[Change]) -> None:
    out = render_report(changes, "text", title="测试报告", generated_at=GENERATED)
    lines = out.splitlines()
    assert lines[:3] == ["测试报告", "生成时间: 2026-11-24 09:30+00:00", "共 6 项变化，其中 3 项与电工相关"]
    headers = [line for line in lines if line.startswith("== ")]
    assert headers == [  # province first, then the cities in REGIONS order; kinds in RULE_KINDS order
        "== 福州 · 积分落户分数线 (fuzhou/points_cutoff) ==",
        "== 厦门 · 紧缺工种目录 (xiamen/shortage_occupations) ==",
        "== 泉州 · 积分 (quanzhou/points_schedule) ==",
    ]
    row = next(line for line in lines if line.startswith("修改  五级/初级工"))
    assert re.search(r"分值\s+10\s+→\s+15$", row)
    assert any(re.search(r"上限\s+20\s+→\s+24$", line) for line in lines)
    assert any(re.search(r"修改\s+电工\s+电工,措辞\s+职业\s+维修电工\s+→\s+电工$", line) for line in lines)
    assert any(
        re.search(r"新增\s+2027年\s+内容\s+—\s+→\s+2027年: 120 分, 指标 1500 个$", line) for line in lines
    )


def test_text_columns_align_by_display_width(changes: list[Change]) -> None:
    lines = render_report(changes, "text").splitlines()
    start = lines.index("== 厦门 · 紧缺工种目录 (xiamen/shortage_occupations) ==")
    table = lines[start + 1 : start + 6]
    assert table[0].startswith("变化") and set(table[1]) <= {"-", " "}
    arrows = {display_width(line[: line.index("→")]) for line in table[2:]}
    assert len(arrows) == 1, table  # CJK counted as two columns: the arrows line up


def test_text_strips_terminal_controls(changes: list[Change]) -> None:
    out = render_report(changes, "text", title="报告\x1b[2J\x1b]0;pwned\x07")
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    source = next(line for line in out.splitlines() if line.startswith("来源: 泉州市积分落户办法"))
    assert source.endswith("https://rsj.quanzhou.gov.cn/zwgk/tzgg/202603/t20260301_1.htm")
    assert "Bcc: evil@example.com 泉人社〔2026〕3号 发布 2026-03-01 施行 2026-04-01" in source


# ---------------------------------------------------------------- markdown


def test_markdown_tables_and_links(changes: list[Change]) -> None:
    out = render_report(changes, "markdown", title="报告", generated_at=GENERATED)
    assert out.startswith("# 报告\n\n_生成时间: 2026-11-24 09:30+00:00_\n")
    assert "## 泉州 · 积分" in out and "## 厦门 · 紧缺工种目录" in out and "## 福州 · 积分落户分数线" in out
    assert "| 修改 | 五级/初级工 | 分值 | ~~10~~ | **15** | 是 |" in out
    assert "|  |  | 上限 | ~~20~~ | **24** |  |" in out
    assert "| 删除 | 焊工\\|钳工 | 内容 | ~~焊工\\|钳工~~ | — | 否 |" in out  # pipes cannot split a cell
    assert "(https://rsj.quanzhou.gov.cn/zwgk/tzgg/202603/t20260301_1.htm)" in out
    assert "&lt;script&gt;" in out and "<script" not in out
    assert "](javascript:" not in out and "厦门市紧缺职业目录 发布 2026-02-01 (javascript:alert(1))" in out
    table_rows = [line for line in out.splitlines() if line.startswith("|")]
    assert all(line.count(" | ") - line.count("\\| ") == 5 for line in table_rows if "---" not in line)


# ---------------------------------------------------------------- html


def test_html_is_self_contained_and_escaped(changes: list[Change]) -> None:
    out = render_report(changes, "html", title="<b>报告</b>", generated_at=GENERATED)
    assert out.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in out
    assert "Content-Security-Policy" in out
    assert "<script" not in out.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in out
    assert "<title>&lt;b&gt;报告&lt;/b&gt;</title>" in out
    for external in ("<link", "src=", "@import", "url(", "@font-face"):
        assert external not in out
    assert 'href="https://rsj.quanzhou.gov.cn/zwgk/tzgg/202603/t20260301_1.htm"' in out
    assert "javascript:alert(1)" in out and 'href="javascript' not in out
    assert '<del class="old">10</del>' in out and '<ins class="new">15</ins>' in out
    assert '<del class="old">维修电工</del>' in out and '<ins class="new">电工</ins>' in out
    assert '<del class="old">焊工|钳工</del>' in out
    assert '<ins class="new">继电保护员（三级/高级工）</ins>' in out
    assert "泉州 积分: 五级/初级工 10 → 15 分" in out


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://rsj.fuzhou.gov.cn/a.htm", True),
        ("http://127.0.0.1:8000/x", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("/relative/path.htm", False),
        ("https://", False),
        ("https://a.gov.cn/x\nSet-Cookie: a", False),
        (None, False),
    ],
)
def test_only_http_urls_become_links(url: str | None, safe: bool) -> None:
    assert (safe_url(url) is not None) is safe


# ---------------------------------------------------------------- json, empty, errors


def test_json_is_the_contract(changes: list[Change]) -> None:
    out = render_report(changes, "json")
    assert out == json.dumps([c.to_json() for c in changes], ensure_ascii=False, indent=2)
    data = json.loads(out)
    assert [Change.from_json(d) for d in data] == changes
    assert data[0]["before"]["points"] == 10.0 and data[0]["after"]["points"] == 15.0
    assert data[0]["source_url"] == "https://rsj.quanzhou.gov.cn/zwgk/tzgg/202603/t20260301_1.htm"
    assert data[0]["published_at"] == "2026-03-01" and data[0]["detected_at"] == "2026-03-02T08:00:00+00:00"
    assert "维修电工" in out  # ensure_ascii=False: readable Chinese


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_empty_report_says_so(fmt: str) -> None:
    out = render_report([], fmt)  # type: ignore[arg-type]
    assert NO_CHANGES in out
    assert "no changes in this period" in out


def test_empty_json_is_empty_list() -> None:
    assert render_report([], "json") == "[]"


def test_unknown_format_is_an_error(changes: list[Change]) -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render_report(changes, "pdf")  # type: ignore[arg-type]


def test_subject_line_is_one_line(changes: list[Change]) -> None:
    points = [c for c in changes if c.region == "quanzhou"]
    assert subject_line(points[:1]) == "【政策变化】泉州 积分落户：初级工积分 10→15"
    subject = subject_line(changes)
    assert subject.startswith("【政策变化】") and subject.endswith(" 等 6 项")
    assert "初级工积分 10→15" in subject
    assert subject_line([]) == "【政策变化】本期无变化"


def test_subject_line_strips_crawled_controls() -> None:
    [change] = diff_rule_sets(
        [],
        [ShortageEntry("电工\r\nBcc: x@example.com", "电工", code="6-31-01-03")],
        region="xiamen\n",
        kind="shortage_occupations",
        relevant=electric,
    )
    subject = subject_line([change] * 2)
    assert "\r" not in subject and "\n" not in subject
    assert subject == "【政策变化】xiamen 紧缺工种目录：新增电工 Bcc: x@example.com 等 2 项"
    short = subject_line([change], limit=30)
    assert len(short) == 30 and short.endswith("…")


# ---------------------------------------------------------------- headless Chromium at phone width


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """tmp_path over HTTP on 127.0.0.1, so a harness page may read the report's layout."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:390px;height:844px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument, out = document.createElement("pre");
  out.id = "result";
  out.textContent = JSON.stringify({
    scrollWidth: d.documentElement.scrollWidth,
    clientWidth: d.documentElement.clientWidth,
    fontSize: getComputedStyle(d.body).fontSize,
    scripts: d.querySelectorAll("script").length,
    links: Array.from(d.querySelectorAll("a[href]")).map(function (a) { return a.getAttribute("href"); }),
    text: d.body.innerText
  });
  document.body.appendChild(out);
});
</script></body></html>"""


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-proxy-server",
        f"--user-data-dir={profile}",
        "--window-size=390,844",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is not installed")
def test_html_in_headless_chromium_at_phone_width(changes: list[Change], tmp_path: Path, served: str) -> None:
    (tmp_path / "report.html").write_text(render_report(changes, "html", generated_at=GENERATED), "utf-8")
    (tmp_path / "harness.html").write_text(HARNESS, "utf-8")

    dom = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", f"{served}/harness.html")
    match = re.search(r'<pre id="result">(.*?)</pre>', dom.stdout, re.S)
    assert match, f"harness did not report; chromium said: {dom.stderr[-2000:]}"
    result = json.loads(match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert 360 <= result["clientWidth"] <= 390  # 390 less any classic scrollbar
    assert result["scrollWidth"] <= result["clientWidth"], "the page scrolls sideways on a phone"
    assert float(result["fontSize"].removesuffix("px")) >= 14
    assert result["scripts"] == 0
    assert result["links"] == ["https://rsj.quanzhou.gov.cn/zwgk/tzgg/202603/t20260301_1.htm"] * 2
    text = result["text"]
    for value in (
        "五级/初级工",
        "维修电工",
        "继电保护员（三级/高级工）",
        "2027年",
        "1500",
        "<script>",
        "厦门 · 紧缺工种目录",
    ):
        assert value in text, value
    assert re.search(r"10\s+15", text) and re.search(r"20\s+24", text)

    shot = tmp_path / "phone.png"
    _chromium(tmp_path, f"--screenshot={shot}", f"{served}/report.html")
    assert shot.exists(), "chromium wrote no screenshot"
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (390, 844)
        colours = image.convert("L").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 20, "the screenshot is blank"


def test_html_shows_times_in_the_readers_timezone(changes: list[Change]) -> None:
    """Detected 08:00 UTC is 16:00 for a reader in Asia/Shanghai (the report's own timezone)."""
    shanghai = dt.datetime(2026, 3, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    out = render_report(changes, "html", generated_at=shanghai)
    assert "发现于 2026-03-02 16:00" in out and "T08:00" not in out
