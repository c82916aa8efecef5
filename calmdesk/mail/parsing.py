"""Parse any email, however broken, into what the help desk needs.

Built on the standard library's ``email`` package with ``policy.default``, defensively: every
header is read with a fallback to its raw value, every body is decoded by hand (unknown or
wrong charsets fall back to UTF-8, then Windows-1252, never an exception), the MIME tree is
walked iteratively with a depth limit, and every string is cleaned of NUL characters and
lone surrogates (8-bit bytes in headers) so any database stores it.
"""

from __future__ import annotations

import codecs
import contextlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

from django.utils.translation import gettext as _

MAX_DEPTH = 40  # MIME nesting deeper than this is not followed
MAX_PARTS = 500  # nor are more parts than this
MAX_HEADER_CHARS = 8000  # one header value kept for display/storage
MAX_BODY_CHARS = 500_000  # text kept per message

# Charset names seen in the wild that Python does not know, or knows by a narrower name.
_CHARSET_ALIASES = {
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-8-e": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "x-user-defined": "windows-1252",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "iso-8859-1": "windows-1252",  # what "Latin-1" mail really is (curly quotes, €)
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
}

_SURROGATES = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Address:
    name: str
    address: str  # as written (not normalised); may be "" for an unparsable one

    def as_pair(self) -> list[str]:
        return [self.name, self.address]

    def display(self) -> str:
        if self.name and self.address:
            return f"{self.name} <{self.address}>"
        return self.address or self.name


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""  # inline images referenced by cid: in the HTML
    inline: bool = False


@dataclass
class SkippedAttachment:
    filename: str
    size: int
    reason: str  # "too_large", "total_too_large", "too_many"


@dataclass
class ForwardedMessage:
    """A forwarded mail inside this one: a message/rfc822 part or a "Forwarded message" block."""

    sender: Address
    subject: str
    text: str
    html: str
    date: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: Address = field(default_factory=lambda: Address("", ""))
    # Candidates for the customer's address, best first: From, Sender, Reply-To, Return-Path.
    sender_candidates: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    headers_display: dict[str, str] = field(default_factory=dict)  # From, To, Cc, Reply-To
    date: str = ""
    language: str = ""
    text: str = ""  # the whole plain text (from text/plain, else derived from the HTML)
    html: str = ""  # the whole HTML as sent (NOT sanitised; sanitise before storing)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    skipped: list[SkippedAttachment] = field(default_factory=list)
    forwarded: ForwardedMessage | None = None
    content_type: str = "text/plain"
    defects: int = 0
    message: Message | None = None  # the parsed tree, for detection (bounces, reports)

    def header(self, name: str) -> str:
        if self.message is None:
            return ""
        return header_text(self.message, name)


# ------------------------------------------------------------------------------------------
# Strings
# ------------------------------------------------------------------------------------------


def clean_text(value: str, *, charset: str | None = None) -> str:
    """A string any database stores: 8-bit bytes smuggled as surrogates decoded (UTF-8, else
    ``charset``, else Windows-1252), NUL and other control characters removed, Unicode NFC."""
    if _SURROGATES.search(value):
        raw = value.encode("utf-8", "surrogateescape")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = decode_bytes(raw, charset or "windows-1252")
    value = value.encode("utf-8", "replace").decode("utf-8")  # any surrogate left over
    value = _CONTROL.sub("", value)
    return unicodedata.normalize("NFC", value)


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = str(charset).strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset → text, never an exception: the declared charset when it
    decodes cleanly, else UTF-8, else the declared charset (or Windows-1252) with replacement
    characters."""
    codec = _codec(charset)
    if codec and codec != "ascii":
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return data.decode(codec if codec and codec != "ascii" else "windows-1252", "replace")


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words, by hand (for headers the modern parser gave up on)."""
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        pieces = []
        try:
            for chunk, charset in decode_header(value):
                if isinstance(chunk, bytes):
                    pieces.append(decode_bytes(chunk, charset))
                else:
                    pieces.append(chunk)
            return "".join(pieces)
        except Exception:
            return value


def _raw_header(msg: Message, name: str) -> str | None:
    lowered = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lowered:
            return str(value)
    return None


def header_text(msg: Message, name: str) -> str:
    """One header as display text, unfolded, however malformed; "" when absent."""
    value: Any
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    if _SURROGATES.search(raw):
        # Raw 8-bit bytes in the header (no encoded words): the modern parser would turn them
        # into U+FFFD; decode them as UTF-8, else in the message's own charset.
        text = clean_text(raw, charset=_charset(msg))
    else:
        try:
            value = msg.get(name)
            text = "" if value is None else str(value)
        except Exception:
            text = _decode_words(raw)
    if "=?" in text:  # encoded words the header parser left alone (e.g. inside quotes)
        text = _decode_words(text)
    text = clean_text(" ".join(text.split()))
    return text[:MAX_HEADER_CHARS]


def _charset(msg: Message) -> str | None:
    try:
        return msg.get_content_charset()
    except Exception:
        return None


def _header_all(msg: Message, name: str) -> list[str]:
    lowered = name.lower()
    raws = [str(v) for k, v in msg.raw_items() if k.lower() == lowered]
    if any(_SURROGATES.search(v) for v in raws):
        charset = _charset(msg)
        return [clean_text(" ".join(v.split()), charset=charset) for v in raws]
    try:
        values = msg.get_all(name) or []
        return [clean_text(" ".join(str(v).split())) for v in values]
    except Exception:
        lowered = name.lower()
        return [
            clean_text(" ".join(_decode_words(str(v)).split()))
            for k, v in msg.raw_items()
            if k.lower() == lowered
        ]


def _addresses(msg: Message, name: str) -> list[Address]:
    found: list[Address] = []
    for value in _header_all(msg, name):
        try:
            pairs = getaddresses([value])
        except Exception:
            pairs = []
        for display, address in pairs:
            address = address.strip()
            if "@" not in address:
                # "user at host", a lone word: keep the text, it is not an address
                if display or address:
                    found.append(Address(clean_text(display or address)[:200], ""))
                continue
            found.append(Address(clean_text(display)[:200], clean_text(address)[:320]))
    return found


_ID = re.compile(r"<[^<>\s]+>")


def message_ids(value: str) -> list[str]:
    """Every ``<id>`` in a References / In-Reply-To value, in order; a bare id without angle
    brackets counts too (some mailers write them so)."""
    found = _ID.findall(value)
    if not found:
        bare = value.strip()
        if bare and " " not in bare and "@" in bare:
            found = [f"<{bare.strip('<>')}>"]
    return [i[:998] for i in found]


# ------------------------------------------------------------------------------------------
# Bodies
# ------------------------------------------------------------------------------------------


def part_bytes(part: Message) -> bytes:
    """A leaf part's decoded content (base64/quoted-printable undone), however broken."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def part_text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    text = clean_text(decode_bytes(part_bytes(part), charset))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _filename(part: Message) -> str:
    name: Any = None
    with contextlib.suppress(Exception):
        name = part.get_filename()
    if name is None:
        with contextlib.suppress(Exception):
            name = part.get_param("name", header="content-type")
            if isinstance(name, tuple):
                name = _decode_param(name)
    if not name:
        return ""
    name = str(name)
    if "=?" in name:
        name = _decode_words(name)
    return clean_text(name)


def _decode_param(value: tuple[Any, ...]) -> str:
    charset, _lang, text = [*list(value), "", "", ""][:3]
    if isinstance(text, str):
        try:
            return decode_bytes(text.encode("latin-1", "surrogateescape"), charset or "utf-8")
        except Exception:
            return text
    return str(text)


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")


def safe_filename(name: str, *, content_type: str = "", fallback: str = "attachment") -> str:
    """A file name that is safe to store and offer for download: no path, no control or
    shell-special characters, no leading dots, at most 120 characters (extension kept)."""
    name = clean_text(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        extension = mimetypes.guess_extension(content_type or "") or ".bin"
        name = f"{fallback}{extension}"
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 12:
        stem, extension = name, ""
    stem = stem[: 120 - len(extension) - 1] if extension else stem[:120]
    return f"{stem}.{extension}" if extension else stem


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _content_id(part: Message) -> str:
    value = header_text(part, "Content-ID")
    return value.strip().strip("<>")[:300]


class _Collector:
    def __init__(self, *, max_bytes: int, max_total: int, max_count: int) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.skipped: list[SkippedAttachment] = []
        self.forwarded: ForwardedMessage | None = None
        self.total = 0
        self.parts = 0
        self.max_bytes = max_bytes
        self.max_total = max_total
        self.max_count = max_count

    def attach(self, part: Message, *, default_name: str = "attachment") -> None:
        content_type = _content_type(part)
        data = part_bytes(part)
        self.add_file(
            name=_filename(part),
            content_type=content_type,
            data=data,
            content_id=_content_id(part),
            inline=_disposition(part) == "inline" or bool(_content_id(part)),
            default_name=default_name,
        )

    def add_file(
        self,
        *,
        name: str,
        content_type: str,
        data: bytes,
        content_id: str = "",
        inline: bool = False,
        default_name: str = "attachment",
    ) -> None:
        filename = safe_filename(name, content_type=content_type, fallback=default_name)
        size = len(data)
        if size > self.max_bytes:
            self.skipped.append(SkippedAttachment(filename, size, "too_large"))
            return
        if self.total + size > self.max_total:
            self.skipped.append(SkippedAttachment(filename, size, "total_too_large"))
            return
        if len(self.attachments) >= self.max_count:
            self.skipped.append(SkippedAttachment(filename, size, "too_many"))
            return
        self.total += size
        self.attachments.append(
            ParsedAttachment(
                filename=filename,
                content_type=content_type[:120],
                content=data,
                content_id=content_id,
                inline=inline,
            )
        )


def _children(part: Message) -> list[Message]:
    try:
        payload = part.get_payload()
    except Exception:
        return []
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return []


def _walk_body(root: Message, collector: _Collector) -> None:
    """Texts and HTML of the readable parts (the preferred one of each alternative), every
    other leaf an attachment. Iterative, so a deeply nested message cannot exhaust the stack."""
    stack: list[tuple[Message, int, bool]] = [(root, 0, True)]
    while stack:
        part, depth, readable = stack.pop()
        collector.parts += 1
        if depth > MAX_DEPTH or collector.parts > MAX_PARTS:
            continue
        content_type = _content_type(part)
        children = _children(part)
        disposition = _disposition(part)
        if content_type == "message/rfc822" or (
            content_type.startswith("message/") and children and content_type != "message/partial"
        ):
            _forwarded_part(part, children, collector, depth=depth)
            continue
        if children:
            ordered = _readable_children(content_type, children)
            # Reverse so the stack pops them in document order.
            for child, child_readable in reversed(ordered):
                stack.append((child, depth + 1, readable and child_readable))
            continue
        if part.is_multipart() or content_type.startswith("multipart/"):
            # A multipart whose boundary is missing: its body is text we can still read.
            text = part_text(part)
            if text.strip():
                collector.texts.append(text)
            continue
        is_attachment = disposition == "attachment" or (
            bool(_filename(part)) and content_type not in ("text/plain", "text/html")
        )
        if readable and not is_attachment and content_type == "text/plain":
            collector.texts.append(part_text(part))
        elif readable and not is_attachment and content_type == "text/html":
            collector.htmls.append(part_text(part))
        elif content_type in ("text/plain", "text/html") and not is_attachment:
            continue  # the other half of an alternative we already read
        elif content_type in (
            "message/delivery-status",
            "message/disposition-notification",
            "text/rfc822-headers",
            "message/feedback-report",
        ):
            collector.attach(part, default_name="report")
        else:
            collector.attach(part)


def _readable_children(content_type: str, children: list[Message]) -> list[tuple[Message, bool]]:
    """Which children of a multipart are read as the body. Of an alternative: the plain text
    and the HTML version (the richest of each); every other multipart: all of them."""
    if content_type != "multipart/alternative":
        return [(child, True) for child in children]
    plain = html = None
    for index, child in enumerate(children):
        kind = _content_type(child)
        if kind == "text/plain":
            plain = index
        elif kind == "text/html" or kind.startswith("multipart/"):
            html = index
    chosen = {i for i in (plain, html) if i is not None} or {len(children) - 1}
    return [(child, index in chosen) for index, child in enumerate(children)]


def _forwarded_part(
    part: Message, children: list[Message], collector: _Collector, *, depth: int
) -> None:
    inner = children[0] if children else None
    if inner is None:
        collector.attach(part, default_name="message")
        return
    nested = _Collector(
        max_bytes=collector.max_bytes,
        max_total=max(collector.max_total - collector.total, 0),
        max_count=collector.max_count,
    )
    nested.parts = collector.parts
    _walk_body(inner, nested) if depth < MAX_DEPTH else None
    collector.parts = nested.parts
    senders = _addresses(inner, "From")
    text = "\n\n".join(t.strip() for t in nested.texts if t.strip())
    html = "".join(nested.htmls)
    if not text.strip() and html:
        text = html_to_text(html)
    forwarded = ForwardedMessage(
        sender=senders[0] if senders else Address("", ""),
        subject=header_text(inner, "Subject"),
        text=text,
        html=html,
        date=header_text(inner, "Date"),
        attachments=nested.attachments,
    )
    if collector.forwarded is None:
        collector.forwarded = forwarded
    # The forwarded mail shows in the body, under a header block, as mail clients show it.
    block = [_("---------- Forwarded message ----------")]
    if forwarded.sender.display():
        block.append(_("From: %(sender)s") % {"sender": forwarded.sender.display()})
    if forwarded.date:
        block.append(_("Date: %(date)s") % {"date": forwarded.date})
    if forwarded.subject:
        block.append(_("Subject: %(subject)s") % {"subject": forwarded.subject})
    collector.texts.append("\n".join(block) + "\n\n" + text)
    collector.attachments.extend(nested.attachments)
    collector.skipped.extend(nested.skipped)
    collector.total += nested.total


# ------------------------------------------------------------------------------------------
# HTML → text
# ------------------------------------------------------------------------------------------

_BLOCK = {
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
_SKIP = {"head", "script", "style", "title", "template", "noscript", "xml"}


class _TextExtractor(HTMLParser):
    """Text with block structure: ``out`` holds strings and ints (an int n asks for at least n
    line breaks at that point; consecutive requests merge, so nested blocks do not pile up
    blank lines)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str | int] = []
        self.skip = 0
        self.pre = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "pre":
            self.pre += 1
            self.out.append(2)
        elif tag == "li":
            self.out.extend([1, "- "])
        elif tag in ("td", "th"):
            self.out.append("\t")
        elif tag == "blockquote":
            self.quote += 1
            self.out.append(2)
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")
        elif tag in _BLOCK:
            self.out.append(2 if tag in _PARAGRAPH else 1)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(self.skip - 1, 0)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
            self.out.append(2)
        elif tag == "blockquote":
            self.quote = max(self.quote - 1, 0)
            self.out.append(2)
        elif tag in _BLOCK:
            self.out.append(2 if tag in _PARAGRAPH else 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"[ \t\r\n\f\u00a0]+", " ", data)
        if self.quote and data.strip():
            last = self.out[-1] if self.out else 1
            at_line_start = isinstance(last, int) or last.endswith("\n")
            lines = data.split("\n")
            data = "\n".join(
                ("> " + line.lstrip()) if index or at_line_start else line
                for index, line in enumerate(lines)
            )
        self.out.append(data)

    def text(self) -> str:
        pieces: list[str] = []
        pending = 0
        for item in self.out:
            if isinstance(item, int):
                pending = max(pending, item)
                continue
            if not item.strip(" ") and pending:
                continue  # spaces between blocks
            if pending and pieces:
                pieces.append("\n" * pending)
                item = item.lstrip(" ")
            pending = 0
            pieces.append(item)
        return "".join(pieces)


_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl"}


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML mail: paragraphs and line breaks kept, scripts, styles
    and the head dropped, blockquotes marked "> ", runs of blank lines collapsed."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
        text = parser.text()
    except Exception:
        text = unescape(re.sub(r"<[^>]*>", " ", html))
    lines = [line.strip(" \t") for line in text.replace("\r", "").split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# ------------------------------------------------------------------------------------------
# The message
# ------------------------------------------------------------------------------------------


_BOUNDARY = re.compile(rb"(boundary\s*=\s*)(\"?)([^\";\r\n]+)\2", re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def parse_bytes(raw: bytes) -> EmailMessage:
    """The parsed tree (``policy.default``); never raises for any input.

    A multipart whose boundary the parser could not use (unquoted special characters such as
    "/" in it) is parsed again with the boundary quoted, when the body really uses it."""
    msg = BytesParser(policy=default_policy).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    if _content_type(msg).startswith("multipart/") and not msg.is_multipart():
        repaired = _quote_boundary(raw)
        if repaired is not None:
            again = BytesParser(policy=default_policy).parsebytes(repaired)
            if isinstance(again, EmailMessage) and again.is_multipart():
                return again
    return msg


_CONTENT_TYPE = re.compile(rb"^content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.I | re.M)
_DELIMITER = re.compile(rb"^--([^\s-][^\r\n]{0,69}?)[ \t]*\r?$", re.M)


def _quote_boundary(raw: bytes) -> bytes | None:
    """The message with its multipart boundary repaired: quoted when it is there but unusable,
    guessed from the body's first delimiter line (used at least twice) when it is missing."""
    end = _HEADER_END.search(raw)
    if end is None:
        return None
    head, body = raw[: end.start()], raw[end.start() :]
    match = _BOUNDARY.search(head)
    if match is None:
        guess = _DELIMITER.search(body)
        header = _CONTENT_TYPE.search(head)
        if guess is None or header is None:
            return None
        boundary = guess.group(1)
        if body.count(b"--" + boundary) < 2 or b'"' in boundary:
            return None
        fixed = head[: header.end()] + b'; boundary="' + boundary + b'"' + head[header.end() :]
        return fixed + body
    if match.group(2):
        return None
    boundary = match.group(3).strip()
    if not boundary or b"--" + boundary not in body:
        return None
    fixed = head[: match.start()] + match.group(1) + b'"' + boundary + b'"' + head[match.end() :]
    return fixed + body


def _defects(msg: Message) -> int:
    count = 0
    stack = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        count += len(getattr(part, "defects", []) or [])
        if depth < MAX_DEPTH:
            stack.extend((child, depth + 1) for child in _children(part))
    return count


def _language(msg: Message) -> str:
    value = header_text(msg, "Content-Language").split(",")[0].strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", value):
        return ""
    return value.split("-")[0]


def sender_addresses(msg: Message) -> list[Address]:
    """Who the message is from, best first: From, Sender, Reply-To, Return-Path (only those
    with an address)."""
    found = [
        *_addresses(msg, "From"),
        *_addresses(msg, "Sender"),
        *_addresses(msg, "Reply-To"),
        *_addresses(msg, "Return-Path"),
    ]
    return [a for a in found if a.address]


def parse_email(
    raw: bytes, *, max_attachment_bytes: int, max_total_bytes: int, max_attachments: int = 50
) -> ParsedEmail:
    """Parse ``raw`` (module docstring). Attachments above ``max_attachment_bytes`` each, or
    beyond ``max_total_bytes`` together, are left out and listed in ``skipped``."""
    msg = parse_bytes(raw)
    collector = _Collector(
        max_bytes=max_attachment_bytes, max_total=max_total_bytes, max_count=max_attachments
    )
    _walk_body(msg, collector)
    text = "\n\n".join(t.strip("\n") for t in collector.texts if t.strip())
    html = "\n".join(h for h in collector.htmls if h.strip())
    if not text.strip() and html:
        text = html_to_text(html)
    from_ = _addresses(msg, "From")
    references = [i for value in _header_all(msg, "References") for i in message_ids(value)]
    in_reply_to = [i for value in _header_all(msg, "In-Reply-To") for i in message_ids(value)]
    message_id_values = message_ids(header_text(msg, "Message-ID"))
    date = header_text(msg, "Date")
    with contextlib.suppress(Exception):
        date = parsedate_to_datetime(date).isoformat() if date else ""
    return ParsedEmail(
        message_id=message_id_values[0] if message_id_values else "",
        in_reply_to=in_reply_to,
        references=references,
        subject=header_text(msg, "Subject")[:300],
        sender=from_[0] if from_ else Address("", ""),
        sender_candidates=sender_addresses(msg),
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        reply_to=_addresses(msg, "Reply-To"),
        headers_display={name: header_text(msg, name) for name in ("From", "To", "Cc", "Reply-To")},
        date=date,
        language=_language(msg),
        text=text[:MAX_BODY_CHARS],
        html=html[: MAX_BODY_CHARS * 4],
        attachments=collector.attachments,
        skipped=collector.skipped,
        forwarded=collector.forwarded,
        content_type=_content_type(msg),
        defects=_defects(msg),
        message=msg,
    )


# ------------------------------------------------------------------------------------------
# A forward written inline ("---------- Forwarded message ---------" and its header block)
# ------------------------------------------------------------------------------------------

_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|Forwarded Message|Original Message|"
    r"Weitergeleitete Nachricht|Ursprüngliche Nachricht|Message transféré|"
    r"İletilen ileti|Orijinal İleti|Persiųstas laiškas|Originalus laiškas|"
    r"پیام بازارسال شده|پیام اصلی)\s*-{2,}|Begin forwarded message:|_{20,})\s*$",
    re.IGNORECASE,
)
_FORWARD_FIELD = re.compile(
    r"^\s*\*?(From|Von|De|Kimden|Gönderen|Nuo|از|Date|Sent|Datum|Gesendet|Envoyé|Tarih|"
    r"Gönderildi|Išsiųsta|Data|تاریخ|Subject|Betreff|Objet|Konu|Tema|موضوع|To|An|À|Kime|"
    r"Kam|به|Cc)\s*:\*?\s*(.*)$",
    re.IGNORECASE,
)
_FIELD_NAMES = {
    "from": "from", "von": "from", "de": "from", "kimden": "from", "gönderen": "from",
    "nuo": "from", "از": "from",
    "date": "date", "sent": "date", "datum": "date", "gesendet": "date", "envoyé": "date",
    "tarih": "date", "gönderildi": "date", "išsiųsta": "date", "data": "date", "تاریخ": "date",
    "subject": "subject", "betreff": "subject", "objet": "subject", "konu": "subject",
    "tema": "subject", "موضوع": "subject",
}  # fmt: skip


def forwarded_in_text(text: str) -> ForwardedMessage | None:
    """The mail forwarded inline in ``text``: the marker line, a header block with at least a
    From: carrying an address, then the forwarded body. None when there is no such block."""
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if not _FORWARD_MARKER.match(line):
            continue
        fields: dict[str, str] = {}
        cursor = index + 1
        while cursor < len(lines) and not lines[cursor].strip():
            cursor += 1
        while cursor < len(lines):
            match = _FORWARD_FIELD.match(lines[cursor])
            if not match:
                break
            key = _FIELD_NAMES.get(match.group(1).lower())
            if key and key not in fields:
                fields[key] = match.group(2).strip().strip("*").strip()
            cursor += 1
        sender = fields.get("from", "")
        try:
            pairs = getaddresses([sender.replace("[mailto:", "<").replace("]", ">")])
        except Exception:
            pairs = []
        name, address = pairs[0] if pairs else ("", "")
        if "@" not in address:
            continue
        body = "\n".join(lines[cursor:]).strip()
        return ForwardedMessage(
            sender=Address(clean_text(name)[:200], clean_text(address)[:320]),
            subject=fields.get("subject", "")[:300],
            text=body,
            html="",
            date=fields.get("date", ""),
        )
    return None


_FORWARD_PREFIX = re.compile(
    r"^\s*(?:(?:fwd?|fw|wg|tr|ilt|i̇lt|enc|rv|pers|pd|بازارسال|fwd)\s*:\s*)+", re.IGNORECASE
)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|ynt|cevap|ats|atsk|پاسخ|رد)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


def is_forward_subject(subject: str) -> bool:
    return bool(_FORWARD_PREFIX.match(subject))


def bare_subject(subject: str) -> str:
    """The subject without "Re:", "Fwd:" and their translations (repeatedly)."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _REPLY_PREFIX.sub("", _FORWARD_PREFIX.sub("", subject))
    return subject.strip()
