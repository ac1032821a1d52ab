"""Letters: any other Word file or a PDF with a text layer, read to plain text for the group to split by hand.

A letter often quotes the decision it carries (the body, the meeting's date, the paragraph);
`letter_decided_by` finds it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from lxml import etree

from ...model.remiss import DecidedBy
from ...render.wording import MONTHS
from . import untrusted
from .draft_stream import DOCUMENT_PART, qn
from .readers import iso_date, plain_text


def read_letter(path: Path) -> str:
    """A letter's plain text, paragraphs separated by blank lines (docx incl. tables; PDF text layer)."""
    path = Path(path)
    kind = untrusted.sniff(path)
    if kind == "docx":
        return _docx_text(untrusted.open_docx(path))
    if kind == "pdf":
        return _reflow(untrusted.read_pdf_text(path))
    raise untrusted.UntrustedFileError(path, "a YAML file is an answer, not a letter",
                                       "a letter as Word (.docx) or PDF with a text layer")


def _docx_text(pkg: untrusted.OfficePackage) -> str:
    """Body paragraphs in reading order; a table row is one paragraph, its cells separated by ' | '."""
    root = pkg.xml(DOCUMENT_PART)
    body = root.find(qn("body")) if root is not None else None
    if body is None:
        return ""
    out: list[str] = []

    def block(element: etree._Element) -> None:
        for child in element:
            if child.tag == qn("p"):
                out.append(" ".join("".join(plain_text(child)).split()))
            elif child.tag == qn("tbl"):
                for row in child.iter(qn("tr")):
                    cells = [" ".join(" ".join("".join(plain_text(p)) for p in cell.iter(qn("p"))).split())
                             for cell in row.iter(qn("tc"))]
                    out.append(" | ".join(c for c in cells if c))
            elif child.tag in (qn("sdt"), qn("sdtContent"), qn("customXml")):
                block(child)

    block(body)
    return "\n\n".join(p for p in out if p.strip())


def _reflow(text: str) -> str:
    """PDF text lines joined back into paragraphs.

    A line that wraps ends with the space the text had there (LibreOffice's and Word's PDFs
    keep it in the text layer); a line that ends a paragraph does not. Without such spaces
    anywhere, a line much shorter than the page's full lines ends a paragraph.
    """
    paragraphs: list[str] = []
    for page in text.split("\n\n"):
        lines = page.split("\n")
        spaced = any(line.endswith((" ", "\u00a0")) for line in lines)
        full = sorted(len(line.strip()) for line in lines if line.strip())
        width = full[int(len(full) * 0.9)] if full else 0
        current: list[str] = []
        for line in lines:
            words = " ".join(line.split())
            if words:
                current.append(words)
            ends = not words or (not line.endswith((" ", "\u00a0")) if spaced else len(words) < 0.8 * width)
            if ends and current:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


_BODY = re.compile(r"\b[a-zåäö-]*(?:styrelsen|fullmäktige|nämnden|direktionen)(?:s (?:arbetsutskott|presidium))?\b",
                   re.IGNORECASE)
_DECISION = re.compile(r"beslut|beslöt|sammanträde|protokoll", re.IGNORECASE)
_DATE = re.compile(r"(?P<iso>\d{4}-\d{2}-\d{2})|"
                   r"(?P<day>\d{1,2}) (?P<month>" + "|".join(MONTHS) + r") (?P<year>\d{4})")
_SECTION_AFTER = re.compile(r"§\s?(\d+[a-z]?)\b")  # "§ 45"
_SECTION_BEFORE = re.compile(r"\b(\d+[a-z]?)\s?§")  # "45 §"


def letter_decided_by(text: str) -> DecidedBy | None:
    """Who decided a letter's answer, when it says so ("Kommunstyrelsen beslutade 2025-04-10, § 45").

    The first decision-making body (…styrelsen, …fullmäktige, …nämnden, direktionen) named in
    a paragraph that speaks of a decision and gives a date; the § number when one follows.
    """
    for match in _BODY.finditer(text):
        para_end = text.find("\n\n", match.end())
        para_end = len(text) if para_end < 0 else para_end
        before = text[max(0, match.start() - 120):match.start()]
        after = text[match.end():min(para_end, match.end() + 200)]
        if not _DECISION.search(before + after):
            continue
        later = _DATE.search(after)
        found = later or next(reversed(list(_DATE.finditer(before))), None)
        day = _parse_date(found) if found else None
        if day is None:
            continue
        rest = after[later.end():] if later else after
        section = _SECTION_AFTER.search(rest) or _SECTION_BEFORE.search(rest)
        body = match.group()
        return DecidedBy(body=body[0].upper() + body[1:], date=day,
                         paragraph=f"§ {section[1]}" if section else None)
    return None


def _parse_date(match: re.Match) -> dt.date | None:
    if match["iso"]:
        return iso_date(match["iso"])
    try:
        return dt.date(int(match["year"]), MONTHS.index(match["month"]) + 1, int(match["day"]))
    except ValueError:
        return None
