"""decode_html: right text whatever the header or <meta> says."""

from __future__ import annotations

import codecs

from parsers import decode_html

TEXT = "关于公布2026年紧缺职业（工种）目录的通知：电工、继电保护员、变配电运行值班员。" * 3


def page(charset: str | None) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    return f"<html><head>{meta}<title>通知</title></head><body><p>{TEXT}</p></body></html>"


def test_utf8_without_any_declaration() -> None:
    assert TEXT in decode_html(page(None).encode("utf-8"))


def test_gbk_declared_in_header() -> None:
    assert TEXT in decode_html(page(None).encode("gbk"), declared="GBK")


def test_gb2312_meta_is_read_as_gb18030() -> None:
    text = page("gb2312").replace("通知", "通知・䶮")  # a character outside GB2312 (GB18030 only)
    assert "䶮" in decode_html(text.encode("gb18030"))


def test_wrong_utf8_header_on_gbk_page_is_detected() -> None:
    data = page("gbk").encode("gbk")
    assert TEXT in decode_html(data, declared="utf-8")


def test_wrong_gbk_header_on_utf8_page_keeps_utf8() -> None:
    data = page("gbk").encode("utf-8")
    assert TEXT in decode_html(data, declared="gbk")


def test_missing_header_and_meta_on_gbk_page() -> None:
    assert TEXT in decode_html(page(None).encode("gbk"))


def test_bom_wins() -> None:
    assert TEXT in decode_html(codecs.BOM_UTF8 + page("gbk").encode("utf-8"))


def test_unknown_declared_charset_is_ignored() -> None:
    assert TEXT in decode_html(page("x-nonsense").encode("gbk"), declared="x-nonsense")
