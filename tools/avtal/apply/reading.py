"""A Word file's text clause by clause, one line per paragraph, as it reads with every change accepted.

The reader of returned drafts (`remiss.incoming.readers`) already walks a distributed file into
clause regions (by heading bookmark, or by heading text where a re-saving program lost
the bookmark) with tracked changes resolved into a draft and a proposal reading. This
module reuses that walk and only adds what authoring needs: where each paragraph of the
proposal ends, and what kind of paragraph it is (heading, list item, table cell).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..model.corpus import Corpus
from ..remiss.incoming import draft_stream, readers, untrusted
from ..render import ooxml

_W = f"{{{ooxml.W}}}"
FRONT = "(front)"  # title page, contents and preamble
# The number Word puts before a caption (render.docx.WORD numbers captions with a SEQ field, "Tabell 1: …"):
# not part of the caption in the sources.
CAPTION_NUMBER = re.compile(r"^Tabell\s+\d+\s*:\s*")
GLOSSARY = "(glossary)"


@dataclass(frozen=True)
class Line:
    """One paragraph as it reads: its text (spaces collapsed) and what kind of paragraph it is."""

    text: str
    style: str = ""
    listed: bool = False  # a bulleted or numbered paragraph
    cell: tuple[int, int, int] | None = None  # (table, row, column) of a table cell's paragraph

    @property
    def heading(self) -> bool:
        return self.style.lower().startswith("heading")


@dataclass
class _LineStream(draft_stream.DraftStream):
    """The remiss reader's walk, noting each paragraph that remains once every change is accepted."""

    numbers: dict[str, str] = field(default_factory=dict)  # clause number as shown ('3.2') -> clause id
    marks: list[tuple[int, Line]] = field(default_factory=list)  # (proposal position after the mark, kind)
    region_proposal: list[int] = field(default_factory=lambda: [0])
    tables: dict[int, int] = field(default_factory=dict)

    def new_region(self, key: str, glossary: bool = False) -> None:
        count = len(self.regions)
        super().new_region(key, glossary)
        if len(self.regions) > count:
            self.region_proposal.append(self.proposal_len)

    def heading(self, p: etree._Element) -> None:
        """As the remiss reader, and: a heading retyped in Word (bookmark and title gone) is known by its number."""
        count = len(self.regions)
        super().heading(p)
        if len(self.regions) > count or self._in_toc() or not self.kind(p).heading:
            return
        text = "".join(t.text or "" for t in p.iter(f"{_W}t"))
        number = re.match(r"\s*(\d+(?:\.\d+)*)\s", text)
        if number and number.group(1) in self.numbers:
            self.new_region(self.numbers[number.group(1)])

    def paragraph_mark(self, p: etree._Element) -> None:
        before = self.proposal_len
        parent = p.getparent()
        if parent is not None and parent.tag == f"{_W}tc" and p is parent.findall(f"{_W}p")[-1]:
            self.text("\n", mark=True)  # a cell's last paragraph mark stays: Word cannot delete it
            if self.paragraphs[-1] != self.draft_len:
                self.paragraphs.append(self.draft_len)
        else:
            super().paragraph_mark(p)
        if self.proposal_len > before:
            self.marks.append((self.proposal_len, self.kind(p)))

    def kind(self, p: etree._Element) -> Line:
        style = p.find(f"{_W}pPr/{_W}pStyle")
        name = style.get(f"{_W}val", "") if style is not None else ""
        listed = p.find(f"{_W}pPr/{_W}numPr") is not None or name.lower().startswith(("compact", "list"))
        cell = None
        tc = next(p.iterancestors(f"{_W}tc"), None)
        if tc is not None:
            tr, table = tc.getparent(), next(tc.iterancestors(f"{_W}tbl"))
            rows = [r for r in table.iter(f"{_W}tr") if next(r.iterancestors(f"{_W}tbl")) is table]
            number = self.tables.setdefault(id(table), len(self.tables))
            cell = (number, rows.index(tr), [c for c in tr if c.tag == f"{_W}tc"].index(tc))
        return Line("", name, listed, cell)


def read_lines(pkg: untrusted.OfficePackage, corpus: Corpus, document: str) -> dict[str, list[Line]]:
    """Clause id (or FRONT, GLOSSARY) -> its paragraphs in the proposal reading, in order.

    `corpus` is the version the file was made from: its clause ids name the bookmarks.
    """
    doc = corpus.document(document)
    clauses = {ooxml.bookmark_name(c.id): c.id for c in doc.clauses()}
    headings = {" ".join(f"{c.label} {c.title}".split()): c.id for c in doc.clauses()}
    root = pkg.xml(readers.DOCUMENT_PART)
    body = root.find(f"{_W}body") if root is not None else None
    stream = _LineStream(clauses, ooxml.bookmark_name(readers.GLOSSARY_ID), {}, headings,
                         numbers={c.label: c.id for c in doc.clauses()})
    if body is not None:
        stream.walk(body)
    stream.close()
    text = stream.proposal_text
    bounds = [*stream.region_proposal, len(text) + 1]
    out: dict[str, list[Line]] = {}
    mark = 0
    for index, region in enumerate(stream.regions):
        key = GLOSSARY if region.glossary else (region.clause or FRONT)
        lines = out.setdefault(key, [])
        start = bounds[index]
        while mark < len(stream.marks) and stream.marks[mark][0] <= bounds[index + 1]:
            end, kind = stream.marks[mark]
            words = " ".join(text[start:end - 1].split())
            if "caption" in kind.style.lower():
                words = CAPTION_NUMBER.sub("", words, count=1)
            lines.append(Line(words, kind.style, kind.listed, kind.cell))
            start = end
            mark += 1
    return out


def open_word_file(path: Path) -> untrusted.OfficePackage:
    """The file through the untrusted-file gate: sniffed, size-limited, no DOCTYPE, no macros."""
    return untrusted.open_docx(Path(path))
