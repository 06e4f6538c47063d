"""Document meta: 文号, dates, effective date, repeals."""

from __future__ import annotations

import datetime as dt

from parsers.meta import find_doc_number, find_effective, find_published, find_replaces, find_signed


def test_doc_number_labelled_or_standalone_never_from_a_repeal_clause() -> None:
    assert find_doc_number(["索引号：123", "发文字号：闽人社文 [2025] 12号"]) == "闽人社文〔2025〕12号"
    lines = ["《关于印发X的通知》（闽人社文〔2020〕3号）同时废止。", "闽人社文〔2025〕12号", "正文"]
    assert find_doc_number(lines) == "闽人社文〔2025〕12号"
    assert find_doc_number(["根据《办法》（闽政〔2019〕1号）规定，制定本细则。"]) is None


def test_published_labelled_then_signature_date() -> None:
    assert find_published(["发布时间：2025-03-12 09:30", "正文"]) == dt.date(2025, 3, 12)
    assert find_published(["正文", "福州市人力资源和社会保障局", "二〇二五年三月十日"]) == dt.date(
        2025, 3, 10
    )


def test_effective_date_forms() -> None:
    pub, signed = dt.date(2025, 3, 12), dt.date(2025, 3, 10)
    assert find_effective(["本办法自2025年4月1日起施行。"], pub) == dt.date(2025, 4, 1)
    assert find_effective(["本办法自2025年4月1日起正式实施，有效期至2030年3月31日。"], pub) == dt.date(
        2025, 4, 1
    )
    assert find_effective(["本通知自印发之日起施行。"], pub, signed) == signed
    assert find_effective(["本目录自公布之日起执行。"], pub, signed) == pub
    assert find_effective(["自本通知发布之日起，加分按下表执行。"], pub, signed) == pub
    assert find_effective(["有效期至2030年3月31日。"], pub) is None


def test_replaces_numbers_and_titles() -> None:
    lines = [
        "本标准自2026年3月1日起施行，《计分标准》（榕人社规〔2024〕1号）和《实施细则》同时废止。",
        "榕人社〔2020〕5号停止执行。",
        "本细则自印发之日起施行。",
    ]
    assert set(find_replaces(lines)) == {"榕人社规〔2024〕1号", "实施细则", "榕人社〔2020〕5号"}


def test_signed_date() -> None:
    assert find_signed(["正文", "2023年4月28日"]) == dt.date(2023, 4, 28)
    assert find_signed(["正文"]) is None
