"""Parsing, quote stripping, file names and mailbox routing: pure functions, many cases."""

from __future__ import annotations

import pytest

from calmdesk.mail.parsing import (
    ParsedEmail,
    bare_subject,
    decode_bytes,
    forwarded_in_text,
    html_to_text,
    parse_email,
    safe_filename,
)
from calmdesk.mail.quotes import strip_quoted, strip_quoted_html
from calmdesk.mail.selectors import mailbox_for_recipients

from .factories import MailboxFactory, build_mail


def _parse(raw: bytes, **limits: int) -> ParsedEmail:
    return parse_email(
        raw,
        max_attachment_bytes=limits.get("each", 10**7),
        max_total_bytes=limits.get("total", 10**8),
    )


# ------------------------------------------------------------------------------------------
# Bodies
# ------------------------------------------------------------------------------------------


def test_multipart_alternative_gives_the_plain_text_and_the_html() -> None:
    parsed = _parse(build_mail(text="Plain version", html="<p>HTML <b>version</b></p>"))

    assert parsed.text == "Plain version"
    assert parsed.html.strip() == "<p>HTML <b>version</b></p>"
    assert parsed.attachments == []


def test_html_only_mail_gets_a_plain_text_with_paragraphs_and_line_breaks() -> None:
    parsed = _parse(
        build_mail(
            text=None,
            html=(
                "<html><head><style>p{color:red}</style><title>T</title></head><body>"
                "<p>Hello&nbsp;team,</p><p>Line one<br>Line two</p>"
                "<ul><li>first</li><li>second</li></ul><script>x()</script></body></html>"
            ),
        )
    )

    assert parsed.text == "Hello team,\n\nLine one\nLine two\n\n- first\n- second"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<table><tr><td>Booking</td><td>BK-1</td></tr></table>", "Booking\tBK-1"),
        ("<p>x</p><blockquote>quoted<br>more</blockquote>", "x\n\n> quoted\n> more"),
        ("<blockquote>a <b>bold</b> word</blockquote>", "> a bold word"),
        ("<pre>  keep   spaces</pre>", "keep   spaces"),
        ("<p>5 &lt; 6 &amp; 7</p>", "5 < 6 & 7"),
        ("<p>unclosed <b>bold", "unclosed bold"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_rfc2047_encoded_words_in_subject_and_names_are_decoded() -> None:
    raw = (
        b"From: =?UTF-8?B?w4dhxJ9yxLEgWcSxbG1heg==?= <cagri@example.com>\n"
        b"To: support0@calmdesk.test\n"
        b"Subject: =?utf-8?Q?Rezervasyon_=C3=A7ok_acil?= =?iso-8859-13?Q?_ir_=F0tai?=\n\nx\n"
    )

    parsed = _parse(raw)

    assert parsed.subject == "Rezervasyon çok acil ir štai"
    assert parsed.sender.name == "Çağrı Yılmaz"
    assert parsed.sender.address == "cagri@example.com"


@pytest.mark.parametrize(
    ("data", "charset", "text"),
    [
        ("Çağrı".encode(), "utf-8", "Çağrı"),
        ("Çağrı".encode(), "us-ascii", "Çağrı"),  # declared wrong: UTF-8 wins
        ("Çağrı".encode("iso-8859-9"), "iso-8859-9", "Çağrı"),
        (b"caf\xe9", "x-unknown-charset", "café"),  # unknown: Windows-1252
        (b"\x93quoted\x94", "iso-8859-1", "“quoted”"),  # Latin-1 mail is really Windows-1252
        ("سلام".encode("cp1256"), "windows-1256", "سلام"),
        ("עברית".encode("iso-8859-8"), "iso-8859-8-i", "עברית"),
        ("한국".encode("cp949"), "ks_c_5601-1987", "한국"),
        (b"\xff\xfe\xfd", None, "ÿþý"),
    ],
)
def test_decode_bytes_never_fails(data: bytes, charset: str | None, text: str) -> None:
    assert decode_bytes(data, charset) == text


def test_a_message_rfc822_part_is_a_forward_with_its_sender() -> None:
    raw = (
        b"From: a@example.com\nTo: s@calmdesk.test\nSubject: Fwd: x\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nsee below\n--b\nContent-Type: message/rfc822\n\n"
        b"From: Orig <orig@example.com>\nSubject: Original\n\nOriginal text\n--b--\n"
    )

    parsed = _parse(raw)

    assert parsed.forwarded is not None
    assert parsed.forwarded.sender.address == "orig@example.com"
    assert parsed.forwarded.subject == "Original"
    assert parsed.forwarded.text == "Original text"


def test_a_multipart_with_an_unquoted_special_boundary_is_repaired() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=abc/def.example\n\n"
        b"--abc/def.example\nContent-Type: text/plain\n\nFirst part\n"
        b"--abc/def.example\nContent-Type: application/pdf; name=a.pdf\n\n%PDF\n"
        b"--abc/def.example--\n"
    )

    parsed = _parse(raw)

    assert parsed.text == "First part"
    assert [a.filename for a in parsed.attachments] == ["a.pdf"]


def test_a_multipart_without_boundary_parameter_is_repaired_from_its_body() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\n"
        b"--guess\nContent-Type: text/plain\n\nRecovered\n--guess--\n"
    )

    assert _parse(raw).text == "Recovered"


def test_a_deeply_nested_message_does_not_exhaust_the_stack() -> None:
    inner = b"Content-Type: text/plain\n\nbottom\n"
    for i in range(300):
        b_ = f"n{i}".encode()
        inner = (
            b'Content-Type: multipart/mixed; boundary="' + b_ + b'"\n\n--' + b_ + b"\n"
            + inner + b"\n--" + b_ + b"--\n"
        )  # fmt: skip

    parsed = _parse(b"From: a@example.com\nSubject: deep\nMIME-Version: 1.0\n" + inner)

    assert parsed.subject == "deep"  # the part beyond the depth limit is simply not read


# ------------------------------------------------------------------------------------------
# File names
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "safe"),
    [
        ("report.pdf", "application/pdf", "report.pdf"),
        ("../../etc/passwd", "", "passwd"),
        ("C:\\Users\\x\\evil.exe", "", "evil.exe"),
        ("a<b>c:d|e?.txt", "text/plain", "a_b_c_d_e_.txt"),
        ("...hidden", "", "hidden"),
        ("", "image/png", "attachment.png"),
        ("   ", "application/x-unknown-thing", "attachment.bin"),
        ("x" * 300 + ".docx", "", "x" * 115 + ".docx"),
        ("Fatura Şubat.pdf", "", "Fatura Şubat.pdf"),
        ("قبض.pdf", "", "قبض.pdf"),
    ],
)
def test_safe_filename(name: str, content_type: str, safe: str) -> None:
    assert safe_filename(name, content_type=content_type) == safe


def test_an_rfc2231_encoded_filename_is_decoded() -> None:
    raw = (
        b'From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename*=UTF-8''Bilet%20%C3%BCcreti.pdf\n\n%PDF\n"
        b"--b--\n"
    )

    assert [a.filename for a in _parse(raw).attachments] == ["Bilet ücreti.pdf"]


# ------------------------------------------------------------------------------------------
# Quoted history
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "New text.\n\nOn Mon, 2 Mar 2026 at 10:00, Support <s@calmdesk.test> wrote:\n> old\n> old",
        "New text.\n\nOn Mon, 2 Mar 2026 at 10:00, Support <s@calmdesk.test>\nwrote:\n> old",
        "New text.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: me\nold",
        "New text.\n\n________________________________\nFrom: Support\nSent: Monday\nold",
        "New text.\n\nFrom: Support <s@calmdesk.test>\nSent: Monday, 2 March\nTo: me\n"
        "Subject: Re: x\n\nold",
        "New text.\n\n> old line one\n> old line two\n",
        "New text.\n\n2 Mar 2026 Pzt 10:00 tarihinde Destek <s@calmdesk.test> şunu yazdı:\n> eski",
        "New text.\n\nKimden: Destek <s@calmdesk.test>\nGönderildi: Pazartesi\nKime: ben\n"
        "Konu: x\n",
        "New text.\n\n2026-03-02, 10:00, Pagalba <s@calmdesk.test> rašė:\n> senas",
        "New text.\n\nNuo: Pagalba <s@calmdesk.test>\nIšsiųsta: pirmadienis\nKam: aš\nTema: x\n",
        "New text.\n\nدر تاریخ ۲ مارس ۲۰۲۶، پشتیبانی <s@calmdesk.test> نوشت:\n> قدیمی",
        "New text.\n\nاز: پشتیبانی <s@calmdesk.test>\nتاریخ: دوشنبه\nبه: من\nموضوع: x\n",
        "New text.\n\nAm 02.03.2026 um 10:00 schrieb Support <s@calmdesk.test>:\n> alt",
    ],
)
def test_quoted_history_is_stripped(text: str) -> None:
    assert strip_quoted(text) == "New text."


@pytest.mark.parametrize(
    "text",
    [
        "Just a message with no quote.",
        "> quoted first\n\nMy answer below it.",  # bottom-posting: keep everything
        "> question one\nanswer one\n> question two\nanswer two",  # interleaved
        "On Monday I will travel; who wrote the schedule?",  # not a marker
        "> only a quote",  # would leave nothing: keep
    ],
)
def test_text_without_a_safe_cut_is_kept(text: str) -> None:
    assert strip_quoted(text) == text.strip()


@pytest.mark.parametrize(
    "html",
    [
        '<div>New text.</div><div class="gmail_quote">On x wrote:<blockquote>old</blockquote>'
        "</div>",
        '<p>New text.</p><blockquote type="cite">old</blockquote>',
        '<p>New text.</p><div id="divRplyFwdMsg"><b>From:</b> old</div>',
        '<p>New text.</p><div class="moz-cite-prefix">On x wrote:</div>'
        "<blockquote>old</blockquote>",
        '<p>New text.</p>\n<div style="border:none;border-top:solid #E1E1E1 1.0pt">old</div>',
    ],
)
def test_html_quote_containers_are_cut(html: str) -> None:
    cut = strip_quoted_html(html)

    assert cut is not None
    assert "New text." in cut
    assert "old" not in cut


def test_html_starting_with_a_quote_container_is_not_cut() -> None:
    assert strip_quoted_html('<blockquote type="cite">all of it</blockquote>') is None


# ------------------------------------------------------------------------------------------
# Inline forwards and subjects
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "FYI\n\n---------- Forwarded message ---------\nFrom: Kemal <kemal@example.com>\n"
        "Date: Mon\nSubject: Refund\nTo: me\n\nBody here",
        "FYI\n\nBegin forwarded message:\n\nFrom: Kemal <kemal@example.com>\nSubject: Refund\n"
        "Date: Mon\n\nBody here",
        "FYI\n\n________________________________\nFrom: Kemal <kemal@example.com>\nSent: Mon\n"
        "Subject: Refund\n\nBody here",
        "FYI\n\n-----Original Message-----\nFrom: Kemal [mailto:kemal@example.com]\nSent: Mon\n"
        "Subject: Refund\n\nBody here",
        "FYI\n\n---------- İletilen ileti ----------\nKimden: Kemal <kemal@example.com>\n"
        "Konu: Refund\n\nBody here",
    ],
)
def test_an_inline_forward_is_found_with_its_sender_subject_and_body(text: str) -> None:
    forwarded = forwarded_in_text(text)

    assert forwarded is not None
    assert forwarded.sender.address == "kemal@example.com"
    assert forwarded.subject == "Refund"
    assert forwarded.text == "Body here"


def test_a_forward_marker_without_a_sender_is_not_a_forward() -> None:
    assert forwarded_in_text("---------- Forwarded message ---------\nno headers") is None


@pytest.mark.parametrize(
    ("subject", "bare"),
    [
        ("Re: Fwd: RE: Cabin", "Cabin"),
        ("FW: Cabin", "Cabin"),
        ("YNT: İLT: Kabin", "Kabin"),
        ("AW: WG: Kabine", "Kabine"),
        ("Re[2]: Cabin", "Cabin"),
        ("Cabin: the sequel", "Cabin: the sequel"),
    ],
)
def test_bare_subject(subject: str, bare: str) -> None:
    assert bare_subject(subject) == bare


# ------------------------------------------------------------------------------------------
# Mailbox routing
# ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mailbox_for_recipients_exact_address_alias_and_catch_all() -> None:
    catch_all = MailboxFactory(address="demo@calmdesk.test", catch_all_domain="calmdesk.test")
    sales = MailboxFactory(address="sales@calmdesk.test", aliases=["Verkauf@Calmdesk.test"])
    MailboxFactory(address="old@calmdesk.test", active=False)

    assert mailbox_for_recipients(["Sales@CALMDESK.test"]) == sales
    assert mailbox_for_recipients(["Verkauf <verkauf@calmdesk.test>"]) == sales
    assert mailbox_for_recipients(["anything@calmdesk.test"]) == catch_all
    assert mailbox_for_recipients(["old@calmdesk.test"]) == catch_all  # inactive: domain
    # An exact address wins over a domain, whatever the order.
    assert mailbox_for_recipients(["x@calmdesk.test", "sales@calmdesk.test"]) == sales
    assert mailbox_for_recipients(["someone@elsewhere.example"]) is None
    assert mailbox_for_recipients(["not an address", ""]) is None
