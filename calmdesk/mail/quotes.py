"""Cut the quoted history off a reply, so the ticket shows what the customer wrote now.

Conservative: a cut only happens at a recognised marker ("On … wrote:", "-----Original
Message-----", an Outlook "From: … Sent: …" header block, a trailing block of "> " lines, the
HTML quote containers of Gmail, Apple Mail, Thunderbird, Outlook and Yahoo) and never when it
would leave nothing. The full text and HTML are kept elsewhere (``EmailDetails.full_html``,
the raw message).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# "On Tue, 3 Mar 2026 at 10:00, Ayla <ayla@example.com> wrote:" and the same in other
# languages; may be wrapped over two lines by the mailer.
_WROTE = re.compile(
    r"^\s*(?:"
    r"On\b.{0,300}\bwrote:"  # English
    r"|Le\b.{0,300}\ba écrit\s*:"  # French
    r"|Am\b.{0,300}\bschrieb\b.{0,200}:"  # German
    r"|El\b.{0,300}\bescribió:"  # Spanish
    r"|Il giorno\b.{0,300}\bha scritto:"  # Italian
    r"|Op\b.{0,300}\bschreef\b.{0,200}:"  # Dutch
    r"|.{0,300}\btarihinde\b.{0,300}\b(?:şunu yazdı|yazdı)\s*:"  # Turkish
    r"|.{0,300}\b(?:rašė|parašė)\s*:"  # Lithuanian
    r"|.{0,300}(?:نوشت|نوشته است)\s*:"  # Persian
    r"|.{0,300}كتب\s*:"  # Arabic
    r")\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|"
    r"Orijinal İleti|Özgün İleti|Originalus laiškas|Pradinis laiškas|پیام اصلی|"
    r"Mensaje original|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}"
    r"|_{20,}"  # Outlook's underline before the header block
    r")\s*$",
    re.IGNORECASE,
)
# The first line of an Outlook header block: "From: …", in the languages we serve.
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Kimden|Gönderen|Nuo|از|Van|Da)\s*:\*?\s+\S")
_HEADER_NEXT = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Envoyé|Gönderildi|Tarih|Išsiųsta|Data|تاریخ|ارسال شده|"
    r"To|An|À|Kime|Kam|به|Subject|Betreff|Objet|Konu|Tema|موضوع)\s*:\*?"
)


def strip_quoted(text: str) -> str:
    """``text`` without the quoted history of earlier mails (module docstring)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _cut_index(lines)
    if cut is None:
        return text.strip()
    kept = "\n".join(lines[:cut]).rstrip()
    return kept if kept.strip() else text.strip()


def _cut_index(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _SEPARATOR.match(stripped):
            return index
        if _HEADER_FROM.match(stripped) and _header_block(lines, index):
            return index
        if _WROTE.match(stripped):
            return index
        # "On … <address>" wrapped over two lines, ending "wrote:" on the next one.
        following = _next_nonblank(lines, index)
        if (
            following is not None
            and _WROTE.match(f"{stripped} {lines[following].strip()}")
            and lines[following].strip().endswith(":")
            and not stripped.endswith(":")
        ):
            return index
    return _trailing_quote(lines)


def _next_nonblank(lines: list[str], index: int) -> int | None:
    nxt = index + 1
    return nxt if nxt < len(lines) and lines[nxt].strip() else None


def _header_block(lines: list[str], index: int) -> bool:
    """A "From:" line followed within three lines by two more header lines (Sent, To, …)."""
    found = 0
    for line in lines[index + 1 : index + 5]:
        if _HEADER_NEXT.match(line.strip()):
            found += 1
    return found >= 2


def _trailing_quote(lines: list[str]) -> int | None:
    """Where a final block of "> " lines starts (with only blank lines, or a signature, after
    it): quoted text below the reply. Interleaved answers are left alone."""
    last_quoted = None
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].lstrip().startswith(">"):
            last_quoted = index
            break
    if last_quoted is None:
        return None
    start = last_quoted
    while start > 0 and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    while start < len(lines) and not lines[start].strip():
        start += 1
    # Text after the quote: keep the quote (an answer below it, or an interleaved reply).
    after = [line for line in lines[last_quoted + 1 :] if line.strip()]
    if after and not _looks_like_signature(after):
        return None
    # Quoted lines in the middle of the reply too: interleaved, leave as is.
    if any(line.lstrip().startswith(">") for line in lines[:start]):
        return None
    return start


def _looks_like_signature(lines: list[str]) -> bool:
    return len(lines) <= 6 and (lines[0].strip() in ("--", "-- ") or len(lines) <= 2)


# ------------------------------------------------------------------------------------------
# HTML
# ------------------------------------------------------------------------------------------

_QUOTE_CLASSES = {
    "gmail_quote",
    "gmail_extra",
    "yahoo_quoted",
    "moz-cite-prefix",
    "protonmail_quote",
}
_QUOTE_IDS = {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"}
_OUTLOOK_BORDER = re.compile(r"border-top:\s*solid\s+#(?:e1e1e1|b5c4df)", re.IGNORECASE)


class _QuoteFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.position: tuple[int, int] | None = None
        self.seen_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.position is not None:
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        classes = set(values.get("class", "").lower().split())
        marker = (
            bool(classes & _QUOTE_CLASSES)
            or values.get("id", "").lower() in _QUOTE_IDS
            or (tag == "blockquote" and values.get("type", "").lower() == "cite")
            or (tag == "div" and bool(_OUTLOOK_BORDER.search(values.get("style", ""))))
            or (tag == "hr" and values.get("id", "").lower() == "stopspelling")
        )
        if marker and self.seen_text:
            self.position = self.getpos()

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.seen_text = True


def strip_quoted_html(html: str) -> str | None:
    """The HTML up to its quote container (to be sanitised, which closes open tags), or None
    when no container was found after some text of the reply itself."""
    finder = _QuoteFinder()
    try:
        finder.feed(html)
        finder.close()
    except Exception:
        return None
    if finder.position is None:
        return None
    line, column = finder.position
    lines = html.split("\n")  # HTMLParser counts lines by "\n" only
    offset = sum(len(part) + 1 for part in lines[: line - 1]) + column
    return html[:offset]
