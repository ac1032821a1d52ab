"""A returned draft's body read as one stream of text in two readings: the draft as we sent it and the proposal.

`DraftStream` walks document.xml in reading order into segments (kept, inserted, deleted,
moved text), regions (one per clause, from its heading bookmark or, when a re-save lost that,
its heading text) and the places comments start and end. `apply` walks drafts with it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ...render import ooxml
from ...render.tree import GLOSSARY_ID
from ...render.wording import GROUP

W = ooxml.W
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
DOCUMENT_PART = "word/document.xml"
COMMENTS_PART = "word/comments.xml"
COMMENTS_EXTENDED_PART = "word/commentsExtended.xml"
GLOSSARY_HEADING = "Bilaga. Termer och begrepp"  # as render.tree writes the appendix heading


def qn(tag: str) -> str:
    """A WordprocessingML tag with its namespace, as lxml names it."""
    return f"{{{W}}}{tag}"


def squeezed(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Region:
    """A stretch of the body: one clause, the front matter (clause None) or the glossary."""

    clause: str | None
    start: int  # position in the draft reading
    glossary: bool = False
    end: int = 0


@dataclass
class Segment:
    """A stretch of text with one revision state: keep, ins, del, move-from or move-to."""

    kind: str
    text: str
    author: str | None
    date: str | None
    region: int
    draft: int  # start in the draft reading (where it would be, for inserted text)
    proposal: int  # start in the proposal reading
    mark: bool = False  # a paragraph mark ("\n")
    move: str | None = None  # the move's name (pairs a move-from with its move-to)
    link: str | None = None  # the hyperlink anchor it sits in (a contents entry)
    term: str | None = None  # glossary term it follows


@dataclass
class Marker:
    """Where a comment's range starts or ends, or its reference mark stands."""

    draft: int
    proposal: int
    region: int
    link: str | None
    term: str | None


@dataclass
class DraftStream:
    """Walks document.xml in reading order into segments, regions and comment markers."""

    clauses: dict[str, str]  # bookmark name -> clause id
    glossary_bookmark: str
    terms: dict[str, str]  # bookmark name -> term
    headings: dict[str, str]  # heading text as rendered -> clause id
    segments: list[Segment] = field(default_factory=list)
    regions: list[Region] = field(default_factory=lambda: [Region(None, 0)])
    starts: dict[str, Marker] = field(default_factory=dict)
    ends: dict[str, Marker] = field(default_factory=dict)
    references: dict[str, Marker] = field(default_factory=dict)
    paragraphs: list[int] = field(default_factory=lambda: [0])  # draft positions where paragraphs start
    draft: list[str] = field(default_factory=list)
    proposal: list[str] = field(default_factory=list)
    draft_len: int = 0
    proposal_len: int = 0
    draft_text: str = ""  # set by close()
    proposal_text: str = ""
    _revision: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)
    _moves: dict[str, str | None] = field(default_factory=dict)
    _link: list[str | None] = field(default_factory=list)
    _fields: list[str] = field(default_factory=list)  # instructions of the fields we are inside
    _term: str | None = None
    _seen: set[str] = field(default_factory=set)  # regions started (a clause's first bookmark wins)

    # -- walking --

    _SKIP = frozenset(qn(t) for t in (
        "pPr", "rPr", "sectPr", "tblPr", "tblGrid", "trPr", "tcPr", "sdtPr", "sdtEndPr", "drawing", "pict",
        "object", "footnoteReference", "endnoteReference", "customXmlPr",
    )) | {f"{{{MC}}}Fallback"}
    _REVISIONS = {qn("ins"): "ins", qn("del"): "del", qn("moveFrom"): "move-from", qn("moveTo"): "move-to"}

    def walk(self, element: etree._Element) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in self._SKIP:
                continue
            if tag == qn("p"):
                self.heading(child)
                self.walk(child)
                self.paragraph_mark(child)
            elif tag == qn("sdt") and child.xpath("w:sdtPr/w:docPartObj/w:docPartGallery[contains(@w:val, "
                                                   "'Contents')]", namespaces={"w": W}):
                self._fields.append("TOC")  # LibreOffice wraps the contents in a 'Table of Contents' part
                self.walk(child)
                self._fields.pop()
            elif tag in self._REVISIONS:
                kind = self._REVISIONS[tag]
                move = self._moves.get(kind) if kind.startswith("move") else None
                self._revision.append((kind, child.get(qn("author")), child.get(qn("date")), move))
                self.walk(child)
                self._revision.pop()
            elif tag == qn("r"):
                self.run(child)
            elif tag == qn("bookmarkStart"):
                self.bookmark(child.get(qn("name"), ""))
            elif tag in (qn("commentRangeStart"), qn("commentRangeEnd")):
                target = self.starts if tag == qn("commentRangeStart") else self.ends
                target.setdefault(child.get(qn("id"), ""), self.marker())
            elif tag in (qn("moveFromRangeStart"), qn("moveToRangeStart")):
                self._moves["move-from" if tag == qn("moveFromRangeStart") else "move-to"] = child.get(qn("name"))
            elif tag == qn("hyperlink"):
                self._link.append(child.get(qn("anchor")))
                self.walk(child)
                self._link.pop()
            else:  # tables, rows, cells, content controls, smart tags, fields, mc:Choice …
                self.walk(child)

    def run(self, run: etree._Element) -> None:
        for child in run:
            tag = child.tag
            if tag in (qn("t"), qn("delText")):
                self.text(child.text or "")
            elif tag in (qn("tab"), qn("br"), qn("cr")):
                self.text(" ")
            elif tag == qn("noBreakHyphen"):
                self.text("-")
            elif tag == qn("commentReference"):
                self.references.setdefault(child.get(qn("id"), ""), self.marker())
            elif tag == qn("fldChar"):
                kind = child.get(qn("fldCharType"))
                if kind == "begin":
                    self._fields.append("")
                elif kind == "end" and self._fields:
                    self._fields.pop()
            elif tag in (qn("instrText"), qn("delInstrText")) and self._fields:
                self._fields[-1] += child.text or ""

    def bookmark(self, name: str) -> None:
        if name in self.clauses:
            self.new_region(self.clauses[name])
        elif name == self.glossary_bookmark:
            self.new_region(GLOSSARY_ID, glossary=True)
        elif name in self.terms and self.regions[-1].glossary:
            self._term = self.terms[name]

    def heading(self, p: etree._Element) -> None:
        """A clause heading whose bookmark is gone, known by its number and title (not a contents entry)."""
        if not self.headings or self._in_toc() or p.find(qn("hyperlink")) is not None:
            return
        text = squeezed("".join(t.text or "" for t in p.iter(qn("t"), qn("delText"))
                              if not any(a.tag in (qn("ins"), qn("moveTo")) for a in t.iterancestors())))
        if text in self.headings:
            self.new_region(self.headings[text])
        elif text == GLOSSARY_HEADING:
            self.new_region(GLOSSARY_ID, glossary=True)

    def new_region(self, key: str, glossary: bool = False) -> None:
        """Start a clause's (or the glossary's) region here, unless it has started already."""
        if key in self._seen:
            return  # LibreOffice repeats bookmarks, empty, where a section ends
        self._seen.add(key)
        self.regions[-1].end = self.draft_len
        self.regions.append(Region(None if glossary else key, self.draft_len, glossary=glossary))
        self._term = None

    def _in_toc(self) -> bool:
        return any(f.strip().upper().startswith("TOC") for f in self._fields)

    def marker(self) -> Marker:
        return Marker(self.draft_len, self.proposal_len, len(self.regions) - 1, self._current_link(), self._term)

    def _current_link(self) -> str | None:
        """The bookmark a table-of-contents entry links to (links elsewhere are references, not places)."""
        if not self._in_toc():
            return None
        return next((a for a in reversed(self._link) if a), None)

    def paragraph_mark(self, p: etree._Element) -> None:
        state = None
        props = p.find(f"{qn('pPr')}/{qn('rPr')}")
        if props is not None:
            for tag, kind in self._REVISIONS.items():
                mark = props.find(tag)
                if mark is not None:
                    state = (kind, mark.get(qn("author")), mark.get(qn("date")), None)
        self.text("\n", state=state, mark=True)
        if self.paragraphs[-1] != self.draft_len:  # a paragraph of the draft (an inserted one is not)
            self.paragraphs.append(self.draft_len)

    # -- text --

    def text(self, text: str, *, state=None, mark: bool = False) -> None:
        """Append text in the current revision state (innermost w:ins/w:del …) to both readings."""
        if not text:
            return
        inserted = deleted = None
        for revision in ([state] if mark else self._revision):
            if revision is None or revision[1] == GROUP and revision[0] in ("ins", "move-to"):
                continue  # the group's own insertion is part of the draft we sent
            if revision[0] in ("ins", "move-to"):
                inserted = revision
            else:
                deleted = revision
        if deleted is not None and deleted[1] == GROUP:
            return  # the group's own deletion: not in the draft we sent
        if inserted is not None and deleted is not None:
            return  # inserted and deleted again in review: nothing to propose
        revision = inserted or deleted
        kind = revision[0] if revision else "keep"
        author, date, move = (revision[1], revision[2], revision[3]) if revision else (None, None, None)
        region = len(self.regions) - 1
        in_draft, in_proposal = kind in ("keep", "del", "move-from"), kind in ("keep", "ins", "move-to")
        last = self.segments[-1] if self.segments else None
        link = self._current_link()
        if (last is not None and not mark and not last.mark and (last.kind, last.author, last.region, last.move,
                                                                 last.link, last.term)
                == (kind, author, region, move, link, self._term)):
            last.text += text
        else:
            self.segments.append(Segment(kind, text, author, date, region, self.draft_len, self.proposal_len,
                                          mark=mark, move=move, link=link, term=self._term))
        if in_draft:
            self.draft.append(text)
            self.draft_len += len(text)
        if in_proposal:
            self.proposal.append(text)
            self.proposal_len += len(text)

    def close(self) -> None:
        self.regions[-1].end = self.draft_len
        self.draft_text = "".join(self.draft)
        self.proposal_text = "".join(self.proposal)
