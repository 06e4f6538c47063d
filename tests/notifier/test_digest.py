"""The digest as rendered: MIME structure, headers, escaping of crawled text, templates, and the
HTML part in headless Chromium at phone width."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import html as htmllib
import json
import re
import shutil
import subprocess
import tempfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from notifier.digest import Recipient, certificate_meaning, render_digest
from notifier.mail_settings import MailSettings
from notifier.subscriptions import Preferences
from notifier.unsubscribe import make_token, verify_token
from rules.changes import Change, ChangeProvenance
from rules.summary import subject_line
from tests.notifier.notify_helpers import PROV, points_change, shortage_change

NOW = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
CHROMIUM = Path("/usr/bin/chromium")


def settings(**kw: object) -> MailSettings:
    base: dict[str, object] = {
        "sender": "policywatch@example.org",
        "reply_to": "help@example.org",
        "operator_email": "ops@example.org",
        "public_url": "https://policywatch.example.org/unsubscribe",
        "signing_key": "test-signing-key",
    }
    base.update(kw)
    return MailSettings(**base)  # type: ignore[arg-type]


def recipient(**kw: object) -> Recipient:
    base: dict[str, object] = {
        "subscriber_id": 7,
        "email": "worker@example.org",
        "name": "王师傅",
        "prefs": Preferences.build(regions=["quanzhou"]),
    }
    base.update(kw)
    return Recipient(**base)  # type: ignore[arg-type]


def wire(msg: EmailMessage) -> tuple[bytes, EmailMessage]:
    """What an SMTP server would receive, parsed back as a mail client would."""
    data = msg.as_bytes()
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return data, parsed


CHANGES = [
    (11, points_change("quanzhou", "五级/初级工", 10, 15)),
    (12, points_change("quanzhou", "三级/高级工", 40, 35)),
    (13, shortage_change("quanzhou", "电工", "6-31-01-03")),
]


def test_multipart_alternative_text_first_then_html_both_consistent() -> None:
    rendered = render_digest(recipient(), CHANGES, settings(), now=NOW)
    _, msg = wire(rendered.message)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    text, html = (p.get_content() for p in parts)
    visible = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    for value in (
        "泉州",
        "初级工",
        "10",
        "15",
        "高级工",
        "35",
        "电工",
        "泉人社〔2026〕88号",
        "2026-11-01",
        "2027-01-01",
    ):
        assert value in text, value
        assert value in visible, value
    assert "<style" not in html and 'style="' in html  # CSS inlined for webmail
    assert "<img" not in html and "http://" not in html.replace(PROV.source_url or "", "")
    assert f'href="{PROV.source_url}"' in html
    # before → after highlighted
    assert re.search(r"<del[^>]*>10</del>\s*→\s*<ins[^>]*>15</ins>", html)
    # what it means at each certificate level
    assert "持初级工（五级）职业技能等级证书的电工" in text and "多 5 分" in text
    assert "持高级工（三级）职业技能等级证书的电工" in text and "少 5 分" in text
    # footer: why, how to change, unsubscribe, in words for the subscriber (no admin commands)
    assert "您订阅了泉州" in text and "修改订阅：直接回复本邮件" in text
    assert "unsubscribe worker@example.org" in text
    assert not re.search(r"policywatch (?:un)?subscribe", text + html)


def test_headers() -> None:
    rendered = render_digest(recipient(), CHANGES, settings(), now=NOW)
    _, msg = wire(rendered.message)
    assert msg["Subject"] == subject_line([c for _, c in CHANGES])
    assert msg["Subject"].startswith("【政策变化】泉州")
    assert msg["From"].addresses[0].addr_spec == "policywatch@example.org"
    assert msg["To"].addresses[0].addr_spec == "worker@example.org"
    assert msg["To"].addresses[0].display_name == "王师傅"
    assert msg["Reply-To"].addresses[0].addr_spec == "help@example.org"
    assert email.utils.parsedate_to_datetime(msg["Date"]) == NOW
    assert msg["Message-ID"] == rendered.message_id
    assert re.fullmatch(r"<pw-digest-[0-9a-f]{32}@example\.org>", msg["Message-ID"])
    unsub = str(msg["List-Unsubscribe"])
    mailto, https = re.findall(r"<([^>]+)>", unsub)
    assert mailto == "mailto:ops@example.org?subject=unsubscribe%20worker@example.org"
    assert https.startswith("https://policywatch.example.org/unsubscribe?token=")
    token = https.split("token=", 1)[1]
    assert verify_token("test-signing-key", token, "worker@example.org")
    assert not verify_token("test-signing-key", token, "other@example.org")
    assert not verify_token("another-key", token, "worker@example.org")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the raw header is not RFC 2047-encoded (clients must read the URLs as they are)
    assert b"List-Unsubscribe: <mailto:ops@example.org" in rendered.message.as_bytes()


def test_message_id_is_deterministic_per_subscriber_and_change_set() -> None:
    a = render_digest(recipient(), CHANGES, settings(), now=NOW).message_id
    b = render_digest(
        recipient(), list(reversed(CHANGES)), settings(), now=NOW + dt.timedelta(hours=3)
    ).message_id
    c = render_digest(recipient(subscriber_id=8), CHANGES, settings(), now=NOW).message_id
    d = render_digest(recipient(), CHANGES[:2], settings(), now=NOW).message_id
    assert a == b and len({a, c, d}) == 3


def test_without_public_url_or_key_only_mailto_and_no_one_click() -> None:
    for kw in ({"public_url": ""}, {"signing_key": None}, {"public_url": "http://insecure.example.org/u"}):
        _, msg = wire(render_digest(recipient(), CHANGES, settings(**kw), now=NOW).message)
        assert str(msg["List-Unsubscribe"]).startswith("<mailto:ops@example.org")
        assert "https" not in str(msg["List-Unsubscribe"])
        assert msg["List-Unsubscribe-Post"] is None
    _, msg = wire(
        render_digest(recipient(), CHANGES, settings(operator_email="", reply_to=""), now=NOW).message
    )
    assert "mailto:policywatch@example.org" in str(msg["List-Unsubscribe"])
    assert msg["Reply-To"] is None


def test_crawled_script_and_crlf_arrive_escaped_and_harmless() -> None:
    evil = ChangeProvenance(
        source_url="javascript:alert(1)",
        document_title='通知<script>alert("x")</script>\r\nBcc: victim@example.org\r\n\r\n<b>body</b>',
        doc_number="泉人社\r\nX-Injected: 1",
        published_at=dt.date(2026, 11, 1),
    )
    change = points_change("quanzhou", "五级/初级工\r\nX-Evil: yes", 10, 15, prov=evil)
    change = dataclasses.replace(change, summary=change.summary + "\r\nSubject: hijack <script>")
    rendered = render_digest(
        recipient(name="张三\r\nBcc: victim@example.org"), [(1, change)], settings(), now=NOW
    )
    data, msg = wire(rendered.message)
    head = data.split(b"\r\n\r\n", 1)[0]
    for name in (b"Bcc:", b"X-Injected:", b"X-Evil:"):
        assert not re.search(rb"(^|\r\n)" + name, head)
    assert [k for k in msg.keys() if k.lower() in ("bcc", "x-injected", "x-evil")] == []
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert msg["To"].addresses[0].addr_spec == "worker@example.org"
    text, html = (p.get_content() for p in msg.iter_parts())
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>body</b>" not in html
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in text and "未核实" in text  # shown as text, never a link


def test_templates_can_be_overridden_from_a_folder(tmp_path: Path) -> None:
    (tmp_path / "digest.txt.j2").write_text(
        "自定义 {{ v.subject }} {{ v.groups|length }}\n", encoding="utf-8"
    )
    rendered = render_digest(recipient(), CHANGES, settings(templates_dir=tmp_path), now=NOW)
    _, msg = wire(rendered.message)
    text, html = (p.get_content() for p in msg.iter_parts())
    assert text.startswith("自定义 【政策变化】")
    assert "王师傅" in html  # the HTML part falls back to the built-in template


def test_overridden_html_template_is_still_autoescaped(tmp_path: Path) -> None:
    (tmp_path / "digest.html.j2").write_text(
        "<p>{{ v.groups[0].rows[0].source.title }}</p>", encoding="utf-8"
    )
    prov = dataclasses.replace(PROV, document_title="<img src=x onerror=alert(1)>")
    rendered = render_digest(
        recipient(), [(1, points_change(prov=prov))], settings(templates_dir=tmp_path), now=NOW
    )
    html = rendered.message.get_body(("html",)).get_content()
    assert "<img" not in html and "&lt;img" in html


def test_certificate_meaning_only_where_the_data_allows() -> None:
    assert "新增此项，可积 60 分" in (
        certificate_meaning(points_change(item="二级/技师", before=None, after=60)) or ""
    )
    assert "此项取消" in (
        certificate_meaning(points_change(item="一级/高级技师", before=80, after=None)) or ""
    )
    social = points_change(item="社保缴纳", category="社保缴纳", before=2, after=3)
    assert certificate_meaning(social) is None
    assert certificate_meaning(shortage_change()) is None


def test_unsubscribe_tokens() -> None:
    token = make_token("k", 42, "A@Example.org")
    assert token.startswith("42.") and verify_token("k", token, "a@example.org")
    assert not verify_token("k", "43." + token.split(".", 1)[1], "a@example.org")
    assert not verify_token("k", "garbage", "a@example.org")
    with pytest.raises(ValueError):
        make_token("", 1, "a@example.org")


# ---------------------------------------------------------------- headless Chromium at phone width

_PROBE = """
<script>
(function () {
  var want = %s;
  var out = {width: window.innerWidth, client: document.documentElement.clientWidth,
             scroll: document.documentElement.scrollWidth, found: {}};
  want.forEach(function (pair) {
    var selector = pair[0], value = pair[1], best = null;
    var all = document.body.querySelectorAll(selector);
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (el.children.length === 0 && el.textContent.indexOf(value) >= 0) { best = el; break; }
      if (!best && el.textContent.indexOf(value) >= 0 && el.tagName !== 'SCRIPT') { best = el; }
    }
    if (!best) { out.found[selector + ' ' + value] = null; return; }
    var r = best.getBoundingClientRect(), s = getComputedStyle(best);
    out.found[selector + ' ' + value] = {tag: best.tagName, left: r.left, right: r.right, width: r.width, height: r.height,
      visible: s.visibility !== 'hidden' && s.display !== 'none' && parseFloat(s.opacity) > 0,
      color: s.color, background: s.backgroundColor, fontSize: parseFloat(s.fontSize)};
  });
  parent.document.body.setAttribute('data-probe', JSON.stringify(out));
})();
</script>
"""


def _chromium_probe(html: str, values: list[tuple[str, str]], workdir: Path) -> dict[str, object]:
    """Load the HTML in an iframe exactly 390 px wide (a phone) and measure where values land."""
    page = html.replace("</body>", _PROBE % json.dumps(values, ensure_ascii=False) + "</body>")
    wrapper = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        f'<iframe width="390" height="844" style="border:0" srcdoc="{htmllib.escape(page, quote=True)}"></iframe>'
        "</body></html>"
    )
    path = workdir / "phone.html"
    path.write_text(wrapper, encoding="utf-8")
    profile = tempfile.mkdtemp(dir=workdir)
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=390,844",
    ]
    dom = subprocess.run(
        [str(CHROMIUM), *flags, "--dump-dom", path.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    m = re.search(r'data-probe="([^"]*)"', dom)
    assert m, f"the probe did not run; chromium printed: {dom[:500]!r}"
    probe: dict[str, object] = json.loads(htmllib.unescape(m.group(1)))
    # a screenshot at the same width, kept next to the test's files for a human to look at
    subprocess.run(
        [str(CHROMIUM), *flags, f"--screenshot={workdir / 'digest-390.png'}", path.as_uri()],
        capture_output=True,
        timeout=120,
    )
    shutil.rmtree(profile, ignore_errors=True)
    return probe


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (CI installs it)")
def test_html_digest_in_headless_chromium_at_phone_width(tmp_path: Path) -> None:
    long_title = "关于公布" + "泉州市积分落户计分标准及紧缺工种目录调整" * 6 + "的通知"
    prov = dataclasses.replace(
        PROV, document_title=long_title, source_url="https://rsj.quanzhou.gov.cn/" + "a" * 200
    )
    changes: list[tuple[int, Change]] = [
        (1, points_change("quanzhou", "五级/初级工", 10, 15, prov=prov)),
        (2, shortage_change("quanzhou", "电工", "6-31-01-03", prov=prov)),
    ]
    rendered = render_digest(recipient(), changes, settings(), now=NOW)
    html = rendered.message.get_body(("html",)).get_content()
    values = [
        ("*", "五级/初级工"),
        ("del", "10"),
        ("ins", "15"),
        ("*", "持初级工（五级）职业技能等级证书的电工"),
        ("*", "泉人社〔2026〕88号"),
        ("a", "一键退订"),
    ]
    probe = _chromium_probe(html, values, tmp_path)
    assert probe["width"] == 390
    assert probe["scroll"] <= probe["client"], "the digest scrolls sideways on a phone"  # type: ignore[operator]
    found = probe["found"]
    assert isinstance(found, dict)
    for selector, value in values:
        box = found[f"{selector} {value}"]
        assert box is not None, f"{value} not in the page"
        assert box["visible"] and box["width"] > 0 and box["height"] > 0, (value, box)
        assert box["left"] >= 0 and box["right"] <= 390 + 0.5, (value, box)
        assert box["fontSize"] >= 12, (value, box)
    for key in ("del 10", "ins 15"):  # before and after are highlighted
        assert found[key]["background"] not in ("rgba(0, 0, 0, 0)", "transparent"), found[key]
    assert (tmp_path / "digest-390.png").exists()
