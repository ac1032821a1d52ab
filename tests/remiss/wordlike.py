"""Returned drafts that look like what Microsoft Word writes: comments, replies and tracked changes.

Test support (and the generator of the sample remissvar): it takes one of our distributed
Word files and annotates it the way a reviewer in Word would, in real OOXML:

- comments through python-docx's `add_comment` (a `comments.xml` part with its content type
  and relationship, `w:commentRangeStart`/`w:commentRangeEnd` around the anchored runs and a
  run holding `w:commentReference`), dated and with initials; replies go into
  `commentsExtended.xml` (`w15:paraIdParent`) with their own ranges beside the parent's, as
  Word 2013+ writes threads;
- tracked changes as Word marks them: runs split at the changed words, `w:del` (text moved
  into `w:delText`), `w:ins`, `w:moveFrom`/`w:moveTo` inside named move ranges, and a whole
  new paragraph with its paragraph mark tracked (`w:pPr/w:rPr/w:ins`); every mark has its own
  `w:id`, `w:author` and `w:date`.

Clauses are found by their heading bookmark (`render.ooxml.bookmark_name` of the clause id),
so the same call annotates a freshly built file or one already annotated. The output is
byte-stable: the zip is rewritten with Word's fixed 1980-01-01 timestamps.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from avtal.render.ooxml import bookmark_name

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
CT_COMMENTS_EXTENDED = "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
RT_COMMENTS_EXTENDED = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
FRONT = None  # clause "id" of everything before the first clause heading (title page, contents, preamble)


@dataclass(frozen=True)
class Remark:
    """A Word comment on `anchor` in `clause`; the range may end at `end_anchor` in `end_clause`."""

    clause: str | None
    anchor: str
    text: str
    end_clause: str | None = None
    end_anchor: str | None = None
    replies: tuple[tuple[str, str], ...] = ()  # (author, text): the thread under this comment


@dataclass(frozen=True)
class Move:
    """`text` in `clause` moved (Word's move markup) to just after `after` in `to_clause`."""

    clause: str | None
    text: str
    to_clause: str | None
    after: str


def annotate_draft(src_docx: Path, out_docx: Path, *, author: str, date: dt.datetime | dt.date,
                   initials: str | None = None,
                   comments: Iterable[tuple[str | None, str, str] | Remark] = (),
                   replacements: Iterable[tuple[str | None, str, str]] = (),
                   insertions: Iterable[tuple[str | None, str, str]] = (),
                   deletions: Iterable[tuple[str | None, str]] = (),
                   new_paragraphs: Iterable[tuple[str | None, str, str]] = (),
                   moves: Iterable[Move] = ()) -> Path:
    """Write `out_docx`: `src_docx` with `author`'s comments and tracked changes, as Word saves them.

    comments:       (clause id, anchor text, comment) or a `Remark` (spanning range, replies)
    replacements:   (clause id, old text, new text)   - a w:del followed by a w:ins
    insertions:     (clause id, after text, new text) - new text right after `after text`
    deletions:      (clause id, old text)             - a whole paragraph's text also deletes its mark
    new_paragraphs: (clause id, after text, text)     - a new paragraph after the one holding `after text`
    moves:          `Move`s
    Clause id None means the front matter (title page, contents, preamble). Each text must occur
    in that clause; the first occurrence is used.
    """
    document = docx.Document(str(src_docx))
    editor = _Editor(document, author, _stamp(date), initials if initials is not None else _initials(author))
    for item in comments:
        editor.comment(item if isinstance(item, Remark) else Remark(*item))
    for clause, old, new in replacements:
        editor.replace(clause, old, new)
    for clause, old in deletions:
        editor.delete(clause, old)
    for clause, after, new in insertions:
        editor.insert(clause, after, new)
    for clause, after, text in new_paragraphs:
        editor.new_paragraph(clause, after, text)
    for move in moves:
        editor.move(move)
    return save(editor, document, out_docx)


def save(editor: _Editor, document, out_docx: Path | str) -> Path:
    """Finish the edits and save as Word would, byte-stable (zip entries dated like the original)."""
    editor.finish()
    raw = io.BytesIO()
    document.save(raw)
    out_docx = Path(out_docx)
    out_docx.write_bytes(_stable_zip(raw.getvalue()))
    return out_docx


def _stamp(date: dt.datetime | dt.date) -> str:
    """Word's w:date: local time written with a 'Z', to the minute."""
    if not isinstance(date, dt.datetime):
        date = dt.datetime(date.year, date.month, date.day, 9, 0)
    return date.strftime("%Y-%m-%dT%H:%M:00Z")


def _initials(author: str) -> str:
    return "".join(part[0] for part in author.split() if part[:1].isalpha()).upper()


def _stable_zip(data: bytes) -> bytes:
    """The package with Word's fixed member timestamps, so the same call writes the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


class _Editor:
    """Edits one python-docx Document in place, the way Word records a reviewer's work."""

    def __init__(self, document, author: str, date: str, initials: str):
        self.document = document
        self.body = document.element.body
        self.author = author
        self.date = date
        self.initials = initials
        ids = [int(v) for v in self.body.xpath("//@w:id") if v.lstrip("-").isdigit()]
        self.next_id = max(ids, default=0) + 1
        self.next_move = 1
        self.threads: list[tuple[str, str | None]] = []  # (paraId, parent paraId) for commentsExtended

    # -- finding text --

    def regions(self) -> dict[str | None, list]:
        """Paragraphs per clause: a clause runs from its heading bookmark to the next heading bookmark."""
        out: dict[str | None, list] = {FRONT: []}
        current: str | None = FRONT
        for el in self.body.iter(_q("p"), _q("bookmarkStart")):
            if el.tag == _q("p"):
                out[current].append(el)
                continue
            inside = el.getparent().tag == _q("p")
            paragraph = el.getparent() if inside else el.getnext()
            while paragraph is not None and paragraph.tag != _q("p"):
                paragraph = paragraph.getnext()
            style = paragraph.find(f"{_q('pPr')}/{_q('pStyle')}") if paragraph is not None else None
            if style is None or not style.get(_q("val"), "").startswith("Heading") or el.get(_q("name")) in out:
                continue
            previous, current = current, el.get(_q("name"))
            out[current] = []
            if inside:  # the bookmark sits in its heading (as LibreOffice saves it): move the heading here
                out[previous].remove(paragraph)
                out[current].append(paragraph)
        return out

    def find(self, clause: str | None, needle: str) -> tuple:
        """(paragraph, start, end) of the first occurrence of `needle` in the clause's current text."""
        key = bookmark_name(clause) if clause is not None else FRONT
        paragraphs = self.regions().get(key)
        if paragraphs is None:
            raise AssertionError(f"no heading bookmark for clause {clause!r} in the draft")
        for p in paragraphs:
            text = "".join(t for _, t in _visible_runs(p))
            at = text.find(needle)
            if at >= 0:
                return p, at, at + len(needle)
        raise AssertionError(f"{needle!r} is not in clause {clause!r} of the draft")

    def isolate(self, p, start: int, end: int) -> list:
        """Split runs so that [start, end) of the paragraph's text is exactly a list of whole runs."""
        for cut in (end, start):
            offset = 0
            for run, text in _visible_runs(p):
                if offset < cut < offset + len(text):
                    _split(run, cut - offset)
                    break
                offset += len(text)
        out, offset = [], 0
        for run, text in _visible_runs(p):
            if start <= offset and offset + len(text) <= end and text:
                out.append(run)
            offset += len(text)
        return out

    def mark(self, tag: str) -> etree._Element:
        element = etree.Element(_q(tag))
        element.set(_q("id"), str(self.next_id))
        element.set(_q("author"), self.author)
        element.set(_q("date"), self.date)
        self.next_id += 1
        return element

    def wrap(self, runs: Sequence, tag: str) -> list[etree._Element]:
        """Wrap runs in w:ins/w:del/…: one wrapper per group of consecutive siblings, as Word does."""
        wrappers: list[etree._Element] = []
        group: list = []
        for run in [*runs, None]:
            if group and (run is None or run.getprevious() is not group[-1]):
                wrapper = self.mark(tag)
                group[0].addprevious(wrapper)
                for r in group:
                    wrapper.append(r)
                wrappers.append(wrapper)
                group = []
            if run is not None:
                group.append(run)
        return wrappers

    # -- comments --

    def comment(self, remark: Remark) -> None:
        p, start, end = self.find(remark.clause, remark.anchor)
        runs = self.isolate(p, start, end)
        if remark.end_anchor is not None:
            ep, estart, eend = self.find(remark.end_clause, remark.end_anchor)
            runs = [runs[0], *self.isolate(ep, estart, eend)]
        first = Run(runs[0], Paragraph(runs[0].getparent(), None))
        last = Run(runs[-1], Paragraph(runs[-1].getparent(), None))
        parent = self.document.add_comment([first, last], text=remark.text, author=self.author,
                                           initials=self.initials)
        parent_para = self.stamp_comment(parent)
        self.threads.append((parent_para, None))
        for reply_author, reply_text in remark.replies:
            reply = self.document.comments.add_comment(reply_text, author=reply_author,
                                                       initials=_initials(reply_author))
            self.threads.append((self.stamp_comment(reply), parent_para))
            self.anchor_reply(parent.comment_id, reply.comment_id)

    def stamp_comment(self, comment) -> str:
        """Date the comment (python-docx stamps now()) and give its paragraphs Word's w14:paraId."""
        element = comment._comment_elm
        element.set(qn("w:date"), self.date)
        para_id = ""
        for i, p in enumerate(element.iter(_q("p"))):
            para_id = f"{0x10000000 + comment.comment_id * 64 + i:08X}"
            p.set(f"{{{W14}}}paraId", para_id)
            p.set(f"{{{W14}}}textId", "77777777")
        return para_id

    def anchor_reply(self, parent_id: int, reply_id: int) -> None:
        """Word puts a reply's range markers and reference right beside its parent's."""
        start = self.body.xpath(f"//w:commentRangeStart[@w:id='{parent_id}']")[0]
        end = self.body.xpath(f"//w:commentRangeEnd[@w:id='{parent_id}']")[0]
        reference = self.body.xpath(f"//w:r[w:commentReference[@w:id='{parent_id}']]")[0]
        start.addnext(etree.Element(_q("commentRangeStart"), {_q("id"): str(reply_id)}))
        end.addnext(etree.Element(_q("commentRangeEnd"), {_q("id"): str(reply_id)}))
        reply_ref = copy.deepcopy(reference)
        reply_ref.find(_q("commentReference")).set(_q("id"), str(reply_id))
        reference.addnext(reply_ref)

    # -- tracked changes --

    def delete(self, clause: str | None, old: str) -> list[etree._Element]:
        p, start, end = self.find(clause, old)
        whole = "".join(t for _, t in _visible_runs(p)) == old
        runs = self.isolate(p, start, end)
        for run in runs:
            for t in run.findall(_q("t")):
                t.tag = _q("delText")
        wrappers = self.wrap(runs, "del")
        if whole:
            self.mark_paragraph(p, "del")
        return wrappers

    def replace(self, clause: str | None, old: str, new: str) -> None:
        wrappers = self.delete(clause, old)
        last = wrappers[-1]
        inserted = self.mark("ins")
        inserted.append(_new_run(last.findall(_q("r"))[-1], new))
        last.addnext(inserted)

    def insert(self, clause: str | None, after: str, new: str) -> None:
        p, start, end = self.find(clause, after)
        before = self.isolate(p, start, end)[-1]
        inserted = self.mark("ins")
        inserted.append(_new_run(before, new))
        _after_run(before).addnext(inserted)

    def new_paragraph(self, clause: str | None, after: str, text: str) -> None:
        p, _, _ = self.find(clause, after)
        paragraph = etree.Element(_q("p"))
        props = p.find(_q("pPr"))
        if props is not None:
            paragraph.append(copy.deepcopy(props))
        inserted = self.mark("ins")
        template = next((r for r, _ in _visible_runs(p)), None)
        inserted.append(_new_run(template, text))
        paragraph.append(inserted)
        p.addnext(paragraph)
        self.mark_paragraph(paragraph, "ins")

    def mark_paragraph(self, p, tag: str) -> None:
        """Track the paragraph mark itself (w:pPr/w:rPr/w:ins|w:del)."""
        props = p.find(_q("pPr"))
        if props is None:
            props = etree.Element(_q("pPr"))
            p.insert(0, props)
        run_props = props.find(_q("rPr"))
        if run_props is None:
            run_props = etree.SubElement(props, _q("rPr"))
        run_props.append(self.mark(tag))

    def move(self, move: Move) -> None:
        name = f"move{184638100 + self.next_move}"
        self.next_move += 1
        p, start, end = self.find(move.clause, move.text)
        runs = self.isolate(p, start, end)
        copies = [copy.deepcopy(r) for r in runs]
        self._move_range(self.wrap(runs, "moveFrom"), "moveFrom", name)
        tp, tstart, tend = self.find(move.to_clause, move.after)
        before = self.isolate(tp, tstart, tend)[-1]
        wrapper = self.mark("moveTo")
        for r in copies:
            wrapper.append(r)
        _after_run(before).addnext(wrapper)
        self._move_range([wrapper], "moveTo", name)

    def _move_range(self, wrappers: list[etree._Element], kind: str, name: str) -> None:
        start = self.mark(f"{kind}RangeStart")
        start.set(_q("name"), name)
        wrappers[0].addprevious(start)
        end = etree.Element(_q(f"{kind}RangeEnd"), {_q("id"): start.get(_q("id"))})
        wrappers[-1].addnext(end)

    # -- package --

    def finish(self) -> None:
        """commentsExtended.xml for threads; core properties as Word updates them on save."""
        if self.threads:
            self._comments_extended()
        package = self.document.part.package
        if not any(rel.reltype == RT.CORE_PROPERTIES for rel in package.rels.values()):
            return  # LibreOffice names the part with a legacy type python-docx would duplicate, not update
        props = self.document.core_properties
        props.last_modified_by = self.author
        props.modified = dt.datetime.strptime(self.date, "%Y-%m-%dT%H:%M:%SZ")
        props.revision = (props.revision or 1) + 1

    def _comments_extended(self) -> None:
        part = next((rel.target_part for rel in self.document.part.rels.values()
                     if rel.reltype == RT_COMMENTS_EXTENDED), None)
        if part is None:
            root = etree.Element(f"{{{W15}}}commentsEx", nsmap={"w15": W15})
        else:
            root = etree.fromstring(part.blob)
        for para_id, parent in self.threads:
            entry = etree.SubElement(root, f"{{{W15}}}commentEx")
            entry.set(f"{{{W15}}}paraId", para_id)
            if parent is not None:
                entry.set(f"{{{W15}}}paraIdParent", parent)
            entry.set(f"{{{W15}}}done", "0")
        blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if part is None:
            part = Part(PackURI("/word/commentsExtended.xml"), CT_COMMENTS_EXTENDED, blob, self.document.part.package)
            self.document.part.relate_to(part, RT_COMMENTS_EXTENDED)
        else:
            part._blob = blob


def _visible_runs(p) -> list[tuple]:
    """(run, text) for every run of the paragraph whose text still reads (not deleted or moved away)."""
    out = []
    for run in p.iter(_q("r")):
        if any(a.tag in (_q("del"), _q("moveFrom")) for a in run.iterancestors()):
            continue
        if next(run.iterancestors(_q("p"))) is not p:
            continue  # a text box's paragraph inside this one
        out.append((run, "".join(t.text or "" for t in run.findall(_q("t")))))
    return out


def _split(run, at: int) -> None:
    """Cut a run of one w:t into two runs with the same properties, at character `at`."""
    texts = run.findall(_q("t"))
    assert len(texts) == 1, "wordlike splits runs holding one w:t only"
    right = copy.deepcopy(run)
    text = texts[0].text or ""
    texts[0].text = text[:at]
    right.find(_q("t")).text = text[at:]
    for t in (texts[0], right.find(_q("t"))):
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.addnext(right)


def _new_run(template, text: str) -> etree._Element:
    """A run with `template`'s character formatting (none if None) holding `text`."""
    run = etree.Element(_q("r"))
    if template is not None and template.find(_q("rPr")) is not None:
        run.append(copy.deepcopy(template.find(_q("rPr"))))
    t = etree.SubElement(run, _q("t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def _after_run(run) -> etree._Element:
    """Where text typed after `run` goes: after the run, or after the link or comment marks it ends."""
    target = run
    if run.getparent().tag == _q("hyperlink") and run.getnext() is None:
        target = run.getparent()
    while target.getnext() is not None and target.getnext().tag == _q("commentRangeEnd"):
        target = target.getnext()
        ref = target.getnext()
        if ref is not None and ref.tag == _q("r") and ref.find(_q("commentReference")) is not None:
            target = ref
    return target
