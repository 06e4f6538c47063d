"""Talent channel from a section heading: the heading without its enumerator, never a
shorter channel word found inside it ("高技能人才落户" is not "技能人才落户")."""

from __future__ import annotations

import pytest
from pw_parser_builders import docx_bytes, html_page

from parsers import Attachment, DocumentInput, parse_document
from parsers.grid import TextBlock
from parsers.narrative import NarrativeReader
from rules import Provenance, TalentCondition
from rules.kinds.talent import heading_channel


def _talent(
    text: str, context: str = "关于进一步放宽人才落户条件的通知"
) -> list[tuple[str, str, int | None]]:
    blocks = [TextBlock(line.strip(), Provenance()) for line in text.strip().splitlines()]
    rows = NarrativeReader(year_hint=2026, context=context).read(blocks)
    return [
        (r.channel, r.requirement, r.social_insurance_months) for r in rows if isinstance(r, TalentCondition)
    ]


@pytest.mark.parametrize(
    ("heading", "channel"),
    [
        ("一、高技能人才落户", "高技能人才落户"),
        ("（二）高层次人才引进落户", "高层次人才引进落户"),
        ("三、技能人才入户", "技能人才入户"),
        ("（四）高校毕业生落户条件", "高校毕业生落户"),
        ("2.青年人才落户：", "青年人才落户"),
        ("第三条 引进人才落户", "引进人才落户"),
        ("一、申请落户", None),
        ("二、办理入户", None),
        ("三、积分落户", None),
        ("四、工作要求", None),
    ],
)
def test_heading_channel(heading: str, channel: str | None) -> None:
    assert heading_channel(heading) == channel


def test_narrative_conditions_take_the_whole_heading_as_channel() -> None:
    rows = _talent(
        """
        一、高技能人才落户
        具有高级工及以上职业资格，在本市连续缴纳社会保险满6个月的，可申请落户。
        （二）高层次人才引进落户
        具有硕士研究生及以上学历的，可申请落户。
        三、技能人才入户
        （一）申请条件
        取得中级工职业资格证书，在本市参加社会保险满1年。
        """
    )
    assert rows == [
        ("高技能人才落户", "三级/高级工", 6),
        ("高层次人才引进落户", "硕士研究生", None),
        ("技能人才入户", "四级/中级工", 12),
    ]


def test_a_channel_named_in_the_clause_keeps_its_modifier() -> None:
    rows = _talent("取得技师职业资格证书的，可申请高技能人才落户。")
    assert rows == [("高技能人才落户", "二级/技师", None)]


def test_heading_in_a_page_and_above_a_word_table() -> None:
    body = (
        "<p>一、高技能人才落户</p><p>取得高级技师职业资格证书，在本市缴纳社会保险满6个月的，可以落户。</p>"
        "<p>（二）高层次人才引进落户</p><p>具有博士研究生学历的，可以落户。</p>"
    )
    page = html_page(body, title="关于人才落户有关事项的通知").encode()
    table = [
        ["学历/技能", "社保要求", "其他条件"],
        ["高级工", "满12个月", "在本市就业"],
        ["技师", "不限", "无"],
    ]
    attachment = docx_bytes(["关于人才落户的实施细则", "三、高技能人才入户"], table, [])
    result = parse_document(
        DocumentInput(
            url="http://127.0.0.1/d.htm",
            page=page,
            attachments=(Attachment("http://127.0.0.1/a.docx", "a.docx", attachment),),
        )
    )
    got = {(r.channel, r.requirement) for r in result.rows if isinstance(r, TalentCondition)}
    assert got == {
        ("高技能人才落户", "一级/高级技师"),
        ("高层次人才引进落户", "博士研究生"),
        ("高技能人才入户", "三级/高级工"),
        ("高技能人才入户", "二级/技师"),
    }
