"""The document tree → WordprocessingML body, in one walk (one method per node kind, panflute style).

What pandoc's docx writer did, and what `finish_docx` used to repair afterwards, is written right
the first time: a link holds its revisions (`w:hyperlink/w:ins`, never `w:ins/w:hyperlink`, which
LibreOffice empties on accept all), wholly inserted or deleted paragraphs and rows have their marks
tracked, tables span the text width, and every id (bookmarks, revisions, comments, pictures) is
unique. Elements are written in the schema's order, so the file is valid by construction.
"""

from __future__ import annotations

import base64
import itertools
import operator
import re
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from ..ast import Node, stringify
from . import TEXT_WIDTH, bookmark_name, escape

# How pandoc's docx writer named its paragraph and character styles; templates/reference.docx defines them.
FIRST, BODY, COMPACT = "FirstParagraph", "BodyText", "Compact"
EMU_PER_CM, EMU_PER_PIXEL = 360000, 9525  # a pixel at 96 dpi
LIST_INDENT = 720  # twips per list level
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_OTHER_DOCX = re.compile(r"^(?P<file>[^/#:]+\.docx)#(?P<anchor>.+)$")


def text(value: str) -> str:
    """Character data for XML: escaped, without the control characters XML forbids."""
    if _SPECIAL.search(value) is None:  # most text: nothing to do
        return value
    return escape(_ILLEGAL.sub("", value))


def attribute(value: str) -> str:
    if _SPECIAL.search(value) is None and '"' not in value:
        return value
    return escape(_ILLEGAL.sub("", value), {'"': "&quot;"})


class Revision(NamedTuple):
    kind: str  # "ins" or "del"
    author: str
    date: str


class Style(NamedTuple):
    """Run formatting, in CT_RPr's order when written."""

    link: bool = False
    bold: bool = False
    italic: bool = False
    strike: bool = False
    align: str = ""  # superscript / subscript

    def xml(self) -> str:
        parts = ['<w:rStyle w:val="Hyperlink"/>' if self.link else "",
                 "<w:b/><w:bCs/>" if self.bold else "", "<w:i/><w:iCs/>" if self.italic else "",
                 "<w:strike/>" if self.strike else "", f'<w:vertAlign w:val="{self.align}"/>' if self.align else ""]
        inner = "".join(parts)
        return f"<w:rPr>{inner}</w:rPr>" if inner else ""


class Piece:
    """One run (or a marker between runs) of a paragraph, with the link and revision it sits in."""

    __slots__ = ("run", "xml", "style", "revision", "link", "words")

    def __init__(self, run: bool, xml: str, style: Style, revision: Revision | None, link: str | None,
                 text: str = ""):
        self.run = run  # a run (text, tab, break, picture); else a marker such as a bookmark
        self.xml = xml  # a run's content without w:r, or the marker itself; "" for text
        self.style, self.revision, self.link = style, revision, link  # link: the w:hyperlink start tag
        self.words = [text] if text else []  # adjacent text of the same style, link and revision


@dataclass
class Comment:
    ident: int
    author: str
    date: str
    inlines: list[Node]


@dataclass
class Picture:
    rel: str
    data: bytes


@dataclass
class BodyWriter:
    """Writes the blocks of a tree; collects what other parts need (links, lists, comments, pictures)."""

    tracked: bool = False  # a redline: whole inserted/deleted paragraphs and rows get tracked marks too
    links: dict[str, str] = field(default_factory=dict)  # external target → relationship id
    pictures: list[Picture] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    lists: list[tuple[bool, int, int]] = field(default_factory=list)  # per w:num: (ordered, start, level)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _rels: Any = field(default_factory=lambda: itertools.count(1))
    _comment_ids: dict[str, int] = field(default_factory=dict)
    _depth: int = -1  # list nesting level
    _after_heading: bool = False
    _tables: int = 0
    _figures: int = 0
    _collect: list[Revision | None] | None = None  # revisions of the text runs in the row being written

    def next_id(self) -> int:
        """A w:id no other bookmark, revision, comment or picture of the document has."""
        return next(self._ids)

    def new_relationship(self) -> str:
        """An id for a link or picture relationship (the template's own parts use rId1, rId2, …)."""
        return f"rIdW{next(self._rels)}"

    # -- blocks --

    def blocks(self, blocks: list[Node], style: str | None = None) -> str:
        return "".join(self.block(b, style) for b in blocks)

    def block(self, node: Node, style: str | None = None) -> str:
        method = getattr(self, f"block_{node['t']}", None)
        if method is None:
            raise ValueError(f"the Word writer has no rule for a {node['t']} block")
        out = method(node.get("c"), style)
        self._after_heading = node["t"] == "Header"
        return out

    def block_Para(self, inlines: list[Node], style: str | None) -> str:
        return self.paragraph(style or (FIRST if self._after_heading else BODY), inlines)

    def block_Plain(self, inlines: list[Node], style: str | None) -> str:
        return self.paragraph(style or COMPACT, inlines)

    def block_Header(self, c: list[Any], style: str | None) -> str:
        level, (ident, _, _), inlines = c
        return self.paragraph(f"Heading{level}", inlines, anchor=ident)

    def block_Div(self, c: list[Any], style: str | None) -> str:
        (ident, _, _), blocks = c
        inner = self.blocks(blocks, style)
        return self.bookmarked(ident, inner) if ident else inner

    def block_RawBlock(self, c: list[str], style: str | None) -> str:
        fmt, content = c
        return content if fmt == "openxml" else ""

    def block_BulletList(self, items: list[list[Node]], style: str | None) -> str:
        return self.list_items(items, ordered=False, start=1)

    def block_OrderedList(self, c: list[Any], style: str | None) -> str:
        (start, _, _), items = c
        return self.list_items(items, ordered=True, start=start)

    def block_BlockQuote(self, blocks: list[Node], style: str | None) -> str:
        return self.blocks(blocks, "BlockText")

    def block_HorizontalRule(self, c: Any, style: str | None) -> str:
        return ""

    def block_Table(self, c: list[Any], style: str | None) -> str:
        (ident, _, _), (_, caption), columns, head, bodies, foot = c
        out = []
        caption_inlines = [i for b in caption for i in (b["c"] if b["t"] in ("Plain", "Para") else [])]
        if caption_inlines:
            self._tables += 1
            out.append(self.numbered_caption("TableCaption", "Tabell", "Table", self._tables, caption_inlines))
        out.append(self.table(columns, head, bodies, foot, stringify(caption_inlines)))
        return self.bookmarked(ident, "".join(out)) if ident else "".join(out)

    def block_Figure(self, c: list[Any], style: str | None) -> str:
        (ident, _, _), (_, caption), blocks = c
        out = [self.blocks(blocks, "CaptionedFigure")]
        caption_inlines = [i for b in caption for i in (b["c"] if b["t"] in ("Plain", "Para") else [])]
        if caption_inlines:
            self._figures += 1
            out.append(self.numbered_caption("ImageCaption", "Figur", "Figure", self._figures, caption_inlines))
        return self.bookmarked(ident, "".join(out)) if ident else "".join(out)

    def bookmarked(self, ident: str, inner: str) -> str:
        start, end = self.bookmark(ident)
        return start + inner + end

    def bookmark(self, ident: str) -> tuple[str, str]:
        n = self.next_id()
        return (f'<w:bookmarkStart w:id="{n}" w:name="{attribute(bookmark_name(ident))}"/>',
                f'<w:bookmarkEnd w:id="{n}"/>')

    def numbered_caption(self, style: str, label: str, sequence: str, number: int, inlines: list[Node]) -> str:
        """'Tabell 1: …' with the number a SEQ field (Word renumbers it), as pandoc's native numbering did.

        A wholly inserted or deleted caption has its label tracked with it (a field of runs, which a
        revision can hold), so rejecting a new table or accepting a deleted one leaves no 'Tabell 1: ' behind.
        """
        start, end = self.bookmark(f"{sequence.lower()}{number}")

        def label_runs(whole: Revision | None) -> str:
            if not (self.tracked and whole):
                return (f'{start}<w:r><w:t xml:space="preserve">{label} </w:t></w:r><w:fldSimple w:instr="SEQ '
                        f'{sequence} \\* ARABIC "><w:r><w:t>{number}</w:t></w:r></w:fldSimple>{end}'
                        '<w:r><w:t xml:space="preserve">: </w:t></w:r>')
            t, instr = ("w:delText", "w:delInstrText") if whole.kind == "del" else ("w:t", "w:instrText")
            runs = (f'<w:r><{t} xml:space="preserve">{label} </{t}></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                    f'<w:r><{instr} xml:space="preserve"> SEQ {sequence} \\* ARABIC </{instr}></w:r>'
                    f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><{t}>{number}</{t}></w:r>'
                    f'<w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><{t} xml:space="preserve">: </{t}></w:r>')
            return f"{start}{self.revision_tag(whole)}{runs}</w:{whole.kind}>{end}"

        return self.paragraph(style, inlines, prefix=label_runs)

    # -- lists --

    def list_items(self, items: list[list[Node]], ordered: bool, start: int) -> str:
        self._depth += 1
        self.lists.append((ordered, start, min(self._depth, 8)))
        num = len(self.lists)
        numbered = f'<w:numPr><w:ilvl w:val="{min(self._depth, 8)}"/><w:numId w:val="{num}"/></w:numPr>'
        indented = f'<w:ind w:left="{LIST_INDENT * (self._depth + 1)}"/>'
        out = []
        for item in items:
            for i, block in enumerate(item):
                if block["t"] in ("Plain", "Para"):
                    out.append(self.paragraph(COMPACT if block["t"] == "Plain" else BODY, block["c"],
                                              props=numbered if i == 0 else indented))
                else:
                    out.append(self.block(block))
        self._depth -= 1
        return "".join(out)

    # -- tables --

    def table(self, columns: list[Any], head: list[Any], bodies: list[Any], foot: list[Any], caption: str) -> str:
        widths = [c[1].get("c") if c[1]["t"] == "ColWidth" else None for c in columns]
        if widths and all(w for w in widths):
            total = sum(widths)
            grid = [round(w * TEXT_WIDTH / total) for w in widths]
            size = '<w:tblW w:w="5000" w:type="pct"/><w:tblLayout w:type="fixed"/>'
        else:
            grid = [TEXT_WIDTH // max(len(columns), 1)] * len(columns)
            size = '<w:tblW w:w="0" w:type="auto"/>'
        props = ('<w:tblPr><w:tblStyle w:val="Table"/>' + size +
                 '<w:tblLook w:val="0020" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
                 'w:noHBand="0" w:noVBand="0"/>' +
                 (f'<w:tblCaption w:val="{attribute(caption)}"/>' if caption else "") + "</w:tblPr>")
        out = [f"<w:tbl>{props}<w:tblGrid>", *(f'<w:gridCol w:w="{w}"/>' for w in grid), "</w:tblGrid>"]
        out.extend(self.row(r, header=True) for r in head[1])
        for body in bodies:
            out.extend(self.row(r, header=True) for r in body[2])
            out.extend(self.row(r) for r in body[3])
        out.extend(self.row(r) for r in foot[1])
        out.append("</w:tbl>")
        return "".join(out)

    def row(self, row: list[Any], header: bool = False) -> str:
        outer, self._collect = self._collect, []
        cells = []
        for cell in row[1]:
            inner = self.blocks(cell[4]) or "<w:p/>"
            span = f'<w:gridSpan w:val="{cell[3]}"/>' if cell[3] > 1 else ""
            cells.append(f"<w:tc><w:tcPr>{span}</w:tcPr>{inner}</w:tc>")
        body = "".join(cells)
        whole = _whole(self._collect)
        self._collect = outer if outer is None else outer + self._collect
        mark = self.revision_tag(whole, empty=True) if self.tracked and whole else ""
        # CT_TrPr needs one property before a revision mark: "may split across pages", the default anyway
        props = ('<w:tblHeader w:val="on"/>' if header else '<w:cantSplit w:val="off"/>' if mark else "") + mark
        return f"<w:tr>{f'<w:trPr>{props}</w:trPr>' if props else ''}{body}</w:tr>"

    # -- paragraphs and inlines --

    def paragraph(self, style: str, inlines: list[Node], *, anchor: str = "", props: str = "",
                  prefix: Callable[[Revision | None], str] | None = None) -> str:
        """A paragraph of inlines; `prefix` writes what precedes them, given the revision they wholly are in."""
        pieces: list[Piece] = []
        self.inlines(inlines, Style(), None, None, pieces)
        texts = [p.revision for p in pieces if p.run and p.words]
        if self._collect is not None:
            self._collect.extend(texts)
        whole = _whole(texts)
        body = (prefix(whole) if prefix else "") + self.runs(pieces)
        if anchor:
            start, end = self.bookmark(anchor)
            body = start + body + end
        mark = f"<w:rPr>{self.revision_tag(whole, empty=True)}</w:rPr>" if self.tracked and whole else ""
        return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{props}{mark}</w:pPr>{body}</w:p>'

    def revision_tag(self, revision: Revision, empty: bool = False) -> str:
        tag = (f'<w:{revision.kind} w:id="{self.next_id()}" w:author="{attribute(revision.author)}" '
               f'w:date="{attribute(revision.date)}"')
        return tag + ("/>" if empty else ">")

    def inlines(self, nodes: list[Node], style: Style, revision: Revision | None, link: str | None,
                out: list[Piece]) -> None:
        words = _joinable(out, style, revision, link)  # where adjacent text goes; looked up again after other nodes
        for node in nodes:
            kind = node["t"]
            if kind == "Str" or kind == "Space" or kind == "SoftBreak":
                value = node["c"] if kind == "Str" else " "
                if words is None:
                    out.append(Piece(True, "", style, revision, link, value))
                    words = out[-1].words
                else:
                    words.append(value)
                continue
            c = node.get("c")
            if kind == "LineBreak":
                out.append(Piece(True, "<w:br/>", style, revision, link))
            elif kind == "Emph":
                self.inlines(c, style._replace(italic=True), revision, link, out)
            elif kind == "Strong":
                self.inlines(c, style._replace(bold=True), revision, link, out)
            elif kind == "Strikeout":
                self.inlines(c, style._replace(strike=True), revision, link, out)
            elif kind in ("Superscript", "Subscript"):
                self.inlines(c, style._replace(align=kind.lower()), revision, link, out)
            elif kind in ("Underline", "SmallCaps", "Quoted", "Cite"):
                self.inlines(c[-1] if kind in ("Quoted", "Cite") else c, style, revision, link, out)
            elif kind == "Code":
                out.append(Piece(True, "", style, revision, link, c[1]))
            elif kind == "Span":
                self.span(c, style, revision, link, out)
            elif kind == "Link":
                (_, _, _), children, (url, _) = c
                self.inlines(children, style._replace(link=True), revision, self.hyperlink(url), out)
            elif kind == "Image":
                out.append(Piece(True, self.picture(c), style, revision, link))
            elif kind == "RawInline":
                if c[0] == "openxml":
                    out.append(Piece(False, c[1], style, None, link))
            elif kind == "Note":
                raise ValueError("the Word writer does not write footnotes")
            else:
                raise ValueError(f"the Word writer has no rule for a {kind} inline")
            words = _joinable(out, style, revision, link)

    def span(self, c: list[Any], style: Style, revision: Revision | None, link: str | None,
             out: list[Piece]) -> None:
        (ident, classes, pairs), children = c
        values = dict(pairs)
        if "comment-start" in classes or "comment-end" in classes:
            number = self.comment_id(values.get("id", ident))
        if "comment-start" in classes:
            self.comments.append(Comment(number, values.get("author", ""), values.get("date", ""), children))
            out.append(Piece(False, f'<w:commentRangeStart w:id="{number}"/>', style, None, link))
            return
        if "comment-end" in classes:
            out.append(Piece(False, f'<w:commentRangeEnd w:id="{number}"/>', style, None, link))
            out.append(Piece(True, f'<w:commentReference w:id="{number}"/>', Style(), None, link, ""))
            return
        if "insertion" in classes or "deletion" in classes:
            revision = Revision("ins" if "insertion" in classes else "del", values.get("author", ""),
                                values.get("date", ""))
        if ident:
            start, end = self.bookmark(ident)
            out.append(Piece(False, start, style, None, link))
            self.inlines(children, style, revision, link, out)
            out.append(Piece(False, end, style, None, link))
        else:
            self.inlines(children, style, revision, link, out)

    def comment_id(self, key: str) -> int:
        """The w:id of the comment the tree calls `key` (its start and end spans share it)."""
        if key not in self._comment_ids:
            self._comment_ids[key] = self.next_id()
        return self._comment_ids[key]

    def hyperlink(self, url: str) -> str:
        """The w:hyperlink start tag for a link: a bookmark in this file, else an external relationship."""
        if url.startswith("#"):
            return f'<w:hyperlink w:anchor="{attribute(bookmark_name(url[1:]) if url[1:] else "")}">'
        match = _OTHER_DOCX.match(url)
        if match:  # a clause in another of our Word files: the bookmark name Word can hold there
            url = f"{match['file']}#{bookmark_name(match['anchor'])}"
        rel = self.links.get(url)
        if rel is None:
            rel = self.links[url] = self.new_relationship()
        return f'<w:hyperlink r:id="{rel}">'

    def picture(self, c: list[Any]) -> str:
        """An inline picture from a data: URI (PNG), as wide as its width attribute says."""
        (_, _, pairs), alt, (src, _) = c
        head, _, payload = src.partition(",")
        if not (head.startswith("data:image/png") and head.endswith(";base64")):
            raise ValueError(f"the Word writer embeds PNG data URIs only, not {src[:40]!r}")
        data = base64.b64decode(payload)
        width_px, height_px = struct.unpack(">II", data[16:24])
        width = dict(pairs).get("width", "")
        cx = round(float(width[:-2]) * EMU_PER_CM) if width.endswith("cm") else width_px * EMU_PER_PIXEL
        cy = round(cx * height_px / width_px)
        rel = self.new_relationship()
        self.pictures.append(Picture(rel, data))
        number, descr = self.next_id(), attribute(stringify(alt))
        return (f'<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
                f'<wp:effectExtent l="0" t="0" r="0" b="0"/><wp:docPr id="{number}" name="Bild {number}" descr="{descr}"/>'
                '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
                f'<pic:nvPicPr><pic:cNvPr id="{number}" name="Bild {number}"/><pic:cNvPicPr>'
                '<a:picLocks noChangeAspect="1" noChangeArrowheads="1"/></pic:cNvPicPr></pic:nvPicPr>'
                f'<pic:blipFill><a:blip r:embed="{rel}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
                f'<pic:spPr bwMode="auto"><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
                '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></pic:spPr></pic:pic></a:graphicData>'
                "</a:graphic></wp:inline></w:drawing>")

    def runs(self, pieces: list[Piece]) -> str:
        """Pieces as runs: grouped into hyperlinks first, and inside them into w:ins/w:del (the valid nesting)."""
        out: list[str] = []
        for link, group in itertools.groupby(pieces, key=_link):
            inner = self.revisions(list(group))
            out.append(f"{link}{inner}</w:hyperlink>" if link else inner)
        return "".join(out)

    def revisions(self, pieces: list[Piece]) -> str:
        if len(pieces) == 1 and pieces[0].run and pieces[0].revision is None:  # most groups: one run of text
            return _run((pieces[0].style, bool(pieces[0].xml)), pieces, False)
        out: list[str] = []
        for revision, group in itertools.groupby(pieces, key=lambda p: p.revision if p.run else False):
            if revision is False:
                out.extend(p.xml for p in group)
                continue
            deleted = revision is not None and revision.kind == "del"
            runs = "".join(_run(style, list(same), deleted) for style, same in
                           itertools.groupby(group, key=lambda p: (p.style, bool(p.xml))))
            if revision is None:
                out.append(runs)
            else:
                out.append(f"{self.revision_tag(revision)}{runs}</w:{revision.kind}>")
        return "".join(out)

    # -- other parts --

    def comments_xml(self) -> str:
        """word/comments.xml: each comment's text in one paragraph."""
        parts = []
        for comment in self.comments:
            pieces: list[Piece] = []
            self.inlines(comment.inlines, Style(), None, None, pieces)
            for piece in pieces:  # the links' relationships are the body's
                piece.link, piece.style = None, piece.style._replace(link=False)
            parts.append(f'<w:comment w:id="{comment.ident}" w:author="{attribute(comment.author)}" '
                         f'w:date="{attribute(comment.date)}"><w:p><w:pPr><w:pStyle w:val="CommentText"/></w:pPr>'
                         '<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr><w:annotationRef/></w:r>'
                         f"{self.runs(pieces)}</w:p></w:comment>")
        return "".join(parts)


_link = operator.attrgetter("link")


def _joinable(out: list[Piece], style: Style, revision: Revision | None, link: str | None) -> list[str] | None:
    """The words of the last piece if it is text that more text of this style, revision and link joins."""
    last = out[-1] if out else None
    if (last is not None and last.run and not last.xml and last.style == style
            and last.revision == revision and last.link == link):
        return last.words
    return None


def _whole(revisions: list[Revision | None]) -> Revision | None:
    """The revision of text that is wholly inserted (or wholly deleted), else None."""
    if revisions and revisions[0] is not None and all(r is not None and r.kind == revisions[0].kind
                                                      for r in revisions):
        return revisions[0]
    return None


def _run(key: tuple[Style, bool], pieces: list[Piece], deleted: bool) -> str:
    """Runs of one style: adjacent text merged into one w:t (w:delText when deleted)."""
    style, special = key
    props = style.xml()
    if special:  # a tab, break, picture or comment reference: one run each
        ref = '<w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
        return "".join(f"<w:r>{ref if p.xml.startswith('<w:commentReference') else props}{p.xml}</w:r>"
                       for p in pieces)
    tag = "w:delText" if deleted else "w:t"
    value = text("".join(["".join(p.words) for p in pieces]))
    return f'<w:r>{props}<{tag} xml:space="preserve">{value}</{tag}></w:r>' if value else ""
