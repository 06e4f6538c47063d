"""A bundled sample of the monitored sites, for `policywatch demo` and the end-to-end tests.

Everything here is invented (no real document is copied) but shaped like the province's
TRS platform (the markup is policywatch/demo/trs_pages.py): one list page per section,
detail pages with an 信息公开 table, attachments linked relatively as ``./P0….xlsx``.

States (see policywatch.site_server): ``base`` is the site on day one; ``later`` changes
a points value (泉州 初级工 10 → 15, in a replaced xlsx), adds 电工 to the provincial
shortage list and drops an unrelated occupation (a new announcement repealing the old one),
re-publishes 厦门's page with formatting-only changes, and lists an older 2023 document that
was not on the first page before. ``broken`` redesigns 厦门's page so that nothing parses.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import docx
import openpyxl
from openpyxl.styles import Alignment, Font

from policywatch.demo.trs_pages import (
    Announcement,
    AttachmentLink,
    CreatePageHTML,
    ListRow,
    detail_page,
    list_page,
)

STATES = ("base", "later", "broken")
PDF_FILE = Path(__file__).with_name("files") / "fuzhou_points_2025.pdf"


@dataclass(frozen=True)
class Attachment:
    name: str  # P0… file name in the month folder
    label: str  # link text
    data: bytes


@dataclass(frozen=True)
class Article:
    section: str  # path of the list page, e.g. "quanzhou-hrss/tzgg"
    month: str  # "202503"
    doc_id: str  # "t20250301_700101"
    title: str
    date: str  # "2025-03-01"
    source: str
    body: str  # inner HTML of .TRS_Editor
    doc_number: str | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    encoding: str = "utf-8"

    @property
    def path(self) -> str:
        return f"{self.section}/{self.month}/{self.doc_id}.htm"


def _xlsx(title: str, header: list[str], rows: list[list[object]], merges: list[str] = ()) -> bytes:  # type: ignore[assignment]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append([])  # offices leave a blank first row more often than not
    sheet.append([title])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
    sheet["A2"].font = Font(bold=True, size=14)
    sheet["A2"].alignment = Alignment(horizontal="center")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def quanzhou_points_xlsx(junior_points: int) -> bytes:
    rows: list[list[object]] = [
        ["技能水平", "初级工（五级）", f"{junior_points}分", "取得国家职业资格或职业技能等级证书"],
        [None, "中级工（四级）", "20分", None],
        [None, "高级工（三级）", "40分", None],
        [None, "技师（二级）", "60分", None],
        [None, "高级技师（一级）", "80分", None],
        ["社保缴纳", "在本市参加城镇职工社会保险", "每满1年积2分，最高不超过20分", "按实际缴费月数折算"],
        ["居住年限", "持有本市居住证", "每满1年积1分，最高10分", None],
        ["减分", "有违法犯罪记录的", "-20分", "每次"],
    ]
    return _xlsx("泉州市积分落户计分标准", ["类别", "项目", "分值", "备注"], rows, ["A4:A8"])


def shortage_xlsx(year: int, occupations: list[tuple[str, str, str, str]]) -> bytes:
    rows: list[list[object]] = [[i + 1, *occ] for i, occ in enumerate(occupations)]
    return _xlsx(
        f"福建省{year}年紧缺急需职业（工种）目录",
        ["序号", "职业（工种）名称", "职业编码", "紧缺程度", "技能等级要求"],
        rows,
    )


def xiamen_talent_docx() -> bytes:
    document = docx.Document()
    document.add_heading("厦门市技能人才落户条件", level=1)
    document.add_paragraph("一、技能人才落户条件")
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(
        table.rows[0].cells, ["落户渠道", "技能等级要求", "社保缴纳要求", "年龄要求"], strict=True
    ):
        cell.text = text
    for values in (
        ["技能人才落户", "高级工（三级）及以上", "在本市连续缴纳社会保险满6个月", "45周岁以下"],
        ["技能人才落户", "技师（二级）及以上", "在本市缴纳社会保险", "50周岁以下"],
    ):
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    document.add_paragraph("二、本条件自2025年7月1日起施行。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


BASE_SHORTAGE = [
    ("变配电运行值班员", "6-28-01-14", "紧缺", "四级/中级工及以上"),
    ("车工", "6-18-01-01", "一般紧缺", ""),
    ("中式烹调师", "4-03-02-01", "一般紧缺", ""),
    ("养老护理员", "4-10-01-05", "特别紧缺", ""),
]
LATER_SHORTAGE = [
    ("电工", "6-31-01-03", "特别紧缺", "三级/高级工及以上"),
    ("变配电运行值班员", "6-28-01-14", "紧缺", "四级/中级工及以上"),
    ("车工", "6-18-01-01", "一般紧缺", ""),
    ("养老护理员", "4-10-01-05", "特别紧缺", ""),
]

XIAMEN_POINTS_ROWS = [
    ("技能水平", "初级工（五级）", "10分"),
    ("技能水平", "中级工（四级）", "20分"),
    ("技能水平", "高级工（三级）", "35分"),
    ("技能水平", "技师（二级）", "50分"),
    ("紧缺工种", "从事本市紧缺急需职业（工种）", "10分"),
    ("社保缴纳", "在本市缴纳社会保险", "每满1年积3分，最高不超过30分"),
]


def xiamen_points_body(reformatted: bool) -> str:
    """The 厦门 points table in the page body; ``reformatted`` changes only the layout."""
    intro = "<p>　　为做好我市积分落户工作，现将积分计分标准公布如下。</p>"
    if not reformatted:
        rows = "".join(f"<tr><td>{c}</td><td>{i}</td><td>{p}</td></tr>" for c, i, p in XIAMEN_POINTS_ROWS)
        table = f"<table border='1'><tr><td>类别</td><td>项目</td><td>分值</td></tr>{rows}</table>"
    else:  # the office re-published: styles, spacing, full-width digits, merged category cells
        parts = []
        for n, (c, i, p) in enumerate(XIAMEN_POINTS_ROWS):
            p = p.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            cat = ""
            if n == 0:
                cat = f"<td rowspan='4' style='text-align:center'><strong>{c}</strong></td>"
            elif n >= 4:
                cat = f"<td style='text-align:center'>{c}</td>"
            parts.append(
                f"<tr>\n  {cat}<td><span style='font-family:仿宋'> {i} </span></td>\n  <td> {p} </td></tr>"
            )
        table = (
            "<table class='MsoNormalTable' style='border-collapse:collapse' border='1'>"
            "<tr><td><b>类 别</b></td><td><b>项 目</b></td><td><b>分 值</b></td></tr>"
            + "".join(parts)
            + "</table>"
        )
    return intro + table + "<p>　　本标准自2025年6月1日起施行。</p>"


BROKEN_BODY = (
    "<div id='app' data-api='/api/points/list'></div>"
    "<script src='./static/points-app.js'></script>"
    "<noscript>请开启浏览器脚本以查看积分标准。</noscript>"
)


def articles(state: str) -> list[Article]:
    """The announcements on the sample site in a state."""
    pdf = PDF_FILE.read_bytes()
    out = [
        Article(
            section="quanzhou-hrss/tzgg",
            month="202503",
            doc_id="t20250310_700101",
            title="泉州市人力资源和社会保障局关于公布2025年度积分落户计分标准的通知",
            date="2025-03-10",
            source="泉州市人力资源和社会保障局",
            doc_number="泉人社〔2025〕18号",
            body="<p>　　各县（市、区）人社局：</p><p>　　现将《泉州市积分落户计分标准》印发给你们，请遵照执行。本标准自2025年4月1日起施行。</p>",
            attachments=(
                Attachment(
                    "P020250310512345678901.xlsx",
                    "附件：泉州市积分落户计分标准.xlsx",
                    quanzhou_points_xlsx(15 if state != "base" else 10),
                ),
            ),
        ),
        Article(
            section="quanzhou-hrss/tzgg",
            month="202504",
            doc_id="t20250402_700155",
            title="关于公布2025年泉州市积分落户分数线的公告",
            date="2025-04-02",
            source="泉州市人力资源和社会保障局",
            body="<p>　　经研究，2025年泉州市区积分落户分数线为100分，落户指标1200个。申报时间为2025年4月10日至2025年5月10日。</p>",
        ),
        Article(
            section="xiamen-hrss/tzgg",
            month="202505",
            doc_id="t20250520_800201",
            title="厦门市人力资源和社会保障局关于调整积分落户计分标准的通知",
            date="2025-05-20",
            source="厦门市人力资源和社会保障局",
            doc_number="厦人社规〔2025〕5号",
            body=BROKEN_BODY if state == "broken" else xiamen_points_body(reformatted=state == "later"),
        ),
        Article(
            section="xiamen-hrss/tzgg",
            month="202506",
            doc_id="t20250615_800277",
            title="厦门市技能人才落户条件",
            date="2025-06-15",
            source="厦门市人力资源和社会保障局",
            body="<p>　　现将我市技能人才落户条件公布如下，详见附件。</p>",
            attachments=(
                Attachment(
                    "P020250615398765432101.docx", "附件：厦门市技能人才落户条件.docx", xiamen_talent_docx()
                ),
            ),
        ),
        Article(
            section="fujian-hrss/gsgg",
            month="202501",
            doc_id="t20250115_600011",
            title="福建省人力资源和社会保障厅关于发布2025年福建省紧缺急需职业（工种）目录的通知",
            date="2025-01-15",
            source="福建省人力资源和社会保障厅",
            doc_number="闽人社文〔2025〕3号",
            body="<p>　　现将2025年福建省紧缺急需职业（工种）目录印发给你们。</p>",
            attachments=(
                Attachment(
                    "P020250115320246506269.xlsx",
                    "附件：2025年紧缺急需职业（工种）目录.xlsx",
                    shortage_xlsx(2025, BASE_SHORTAGE),
                ),
            ),
        ),
        Article(
            section="fuzhou-hrss/tzgg",
            month="202502",
            doc_id="t20250220_900031",
            title="福州市积分落户计分办法",
            date="2025-02-20",
            source="福州市人力资源和社会保障局",
            doc_number="榕人社〔2025〕7号",
            body="<p>　　《福州市积分落户计分办法》已经市政府同意，现予印发，详见附件。</p>",
            attachments=(Attachment("P020250220711223344556.pdf", "附件：福州市积分落户计分办法.pdf", pdf),),
        ),
        Article(
            section="fujian-psb/tzgg",
            month="202502",
            doc_id="t20250228_500021",
            title="福建省公安厅关于春节期间户政窗口办公时间的通知",
            date="2025-02-28",
            source="福建省公安厅",
            body="<p>　　春节期间，各地户政窗口办公时间调整为上午9:00至12:00。</p>",
        ),
    ]
    if state in ("later", "broken"):
        out.append(
            Article(
                section="fujian-hrss/gsgg",
                month="202601",
                doc_id="t20260112_600087",
                title="福建省人力资源和社会保障厅关于发布2026年福建省紧缺急需职业（工种）目录的通知",
                date="2026-01-12",
                source="福建省人力资源和社会保障厅",
                doc_number="闽人社文〔2026〕2号",
                body="<p>　　现将2026年福建省紧缺急需职业（工种）目录印发给你们，《闽人社文〔2025〕3号》同时废止。</p>",
                attachments=(
                    Attachment(
                        "P020260112320246511111.xlsx",
                        "附件：2026年紧缺急需职业（工种）目录.xlsx",
                        shortage_xlsx(2026, LATER_SHORTAGE),
                    ),
                ),
            )
        )
        out.append(  # an older document that only now appears in the list: history, not news
            Article(
                section="quanzhou-hrss/tzgg",
                month="202303",
                doc_id="t20230301_699001",
                title="泉州市人力资源和社会保障局关于公布2023年度积分落户计分标准的通知",
                date="2023-03-01",
                source="泉州市人力资源和社会保障局",
                doc_number="泉人社〔2023〕9号",
                body="<p>　　现将《泉州市积分落户计分标准》印发给你们，自2023年4月1日起施行。</p>",
                attachments=(
                    Attachment("P020230301512300000001.xlsx", "附件：计分标准.xlsx", quanzhou_points_xlsx(8)),
                ),
            )
        )
    return out


SECTIONS = {  # list page path -> (site, column)
    "fujian-hrss/gsgg": ("福建省人力资源和社会保障厅", "公示公告"),
    "xiamen-hrss/tzgg": ("厦门市人力资源和社会保障局", "通知公告"),
    "quanzhou-hrss/tzgg": ("泉州市人力资源和社会保障局", "通知公告"),
    "fuzhou-hrss/tzgg": ("福州市人力资源和社会保障局", "通知公告"),
    "fujian-psb/tzgg": ("福建省公安厅", "通知公告"),
}
SOURCE_SECTIONS = {section.split("/")[0]: section for section in SECTIONS}


def render_list(section: str, items: list[Article]) -> str:
    """The section's one list page, newest first."""
    site, column = SECTIONS[section]
    rows = [
        ListRow(f"./{a.month}/{a.doc_id}.htm", a.title, a.date)
        for a in sorted(items, key=lambda a: a.date, reverse=True)
    ]
    return list_page(site, column, rows, CreatePageHTML(1))


def render_detail(article: Article) -> str:
    """The article's detail page, in its section's site (a generic city bureau for others)."""
    site, column = SECTIONS.get(article.section, ("某市人力资源和社会保障局", "通知公告"))
    info = {"索引号": f"FJ00100-0300-{article.date[:4]}-00{article.doc_id[-3:]}", "发文机关": article.source}
    if article.doc_number:
        info |= {"发文字号": article.doc_number, "发布日期": article.date}
    return detail_page(
        Announcement(
            site=site,
            title=article.title,
            pubdate=f"{article.date} 09:30",
            source=article.source,
            body_html=article.body,
            info=info,
            attachments=[AttachmentLink(f"./{att.name}", att.label) for att in article.attachments],
            column=column,
            charset=article.encoding,
        )
    )


def write_sample_site(root: Path) -> Path:
    """Write every state of the sample site under ``root`` (replacing what is there)."""
    if root.exists():
        shutil.rmtree(root)
    for state in STATES:
        items = articles(state)
        for section in SECTIONS:
            target = root / state / section / "index.htm"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                render_list(section, [a for a in items if a.section == section]), encoding="utf-8"
            )
        for article in items:
            page = root / state / article.path
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_bytes(render_detail(article).encode(article.encoding))
            for att in article.attachments:
                (page.parent / att.name).write_bytes(att.data)
        (root / state / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return root


def sample_config(base_url: str, database_url: str, outbox: Path, extra: str = "") -> str:
    """A config that points the built-in sources at the sample site (the others disabled)."""
    lines = [
        "[database]",
        f'url = "{database_url}"',
        "[crawl]",
        "download_delay = 0.0",
        "start_jitter_seconds = 0.0",
        "recheck_days = 0  # revalidate every known relevant page and attachment (conditional GET)",
        "[notify]",
        f'outbox_dir = "{outbox.as_posix()}"',
    ]
    from crawlers.registry import builtin_sources

    for source_id in builtin_sources():
        lines.append(f"[sources.{source_id}]")
        if source_id in SOURCE_SECTIONS:
            lines.append(f'start_urls = ["{base_url}/{SOURCE_SECTIONS[source_id]}/"]')
        else:
            lines.append("enabled = false")
    return "\n".join(lines) + "\n" + extra
