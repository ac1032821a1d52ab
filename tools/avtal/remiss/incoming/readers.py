"""The reader for returned drafts: what a party sent, as raw comments keyed by clause id.

A *returned draft* is one of our distributed Word files sent back with Word comments
and tracked changes. Every clause heading in it carries a bookmark named after the
clause id (`render.ooxml.bookmark_name`), so each comment, insertion and deletion is
attributed to the clause whose bookmark region contains it: a clause's region runs from
its heading bookmark to the next clause heading bookmark, and text before the first
clause (title page, contents, preamble) belongs to the document as a whole. A comment
on a contents entry belongs to the clause the entry links to. When a program re-saving
the file lost a heading's bookmark (LibreOffice drops one that follows a table), the
heading's own number and title ("3.2.1 Förutsättningar för vård i hemmet") start its
clause instead.

The body is read as one stream of text in two readings: the *draft* as we sent it (kept
and deleted text, original paragraph marks) and the *proposal* (kept and inserted text).
Every position is kept in both, so a comment quotes the draft text it is anchored to and
a tracked change is shown as a sentence before and after. Anchors are positions in the
draft reading (clause, paragraph within the clause, character offset), which a party's
other edits do not move; that keeps them stable across re-submissions.

A *letter* is read by `letters`. The stream itself is `draft_stream`.

Files are read only through `untrusted` (bounded, no entities, never extracted).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterator

from lxml import etree

from ...model.corpus import Corpus
from ...model.remiss import CommentSource
from ...render import ooxml
from ...render.stamp import DOCUMENT_PROPERTY, VERSION_PROPERTY
from ...render.tree import GLOSSARY_ID, term_anchor
from ...render.wording import GROUP
from . import untrusted
from .draft_stream import (COMMENTS_EXTENDED_PART, COMMENTS_PART, DOCUMENT_PART, W14, W15, DraftStream, Region, Segment,
                           qn, squeezed)

# Flags for the working group's attention (Swedish, lower case, like the importer's: the group reads
# them in the svar files and the report prints them as "Obs: …").
FLAG_TOC = "gjord i innehållsförteckningen"
FLAG_GLOSSARY = "gäller bilagan Termer och begrepp"
FLAG_TERM = "gäller begreppet ”{term}”"
FLAG_THREAD = "kommentarstråd: {n} svar ingår i texten"
FLAG_RESOLVED = "markerad som löst i Word"
FLAG_UNANCHORED = "kommentaren är inte knuten till någon text i dokumentet"
FLAG_SPANS = "sträcker sig från {start} till {end}: förd till {start}"
FLAG_MOVED = "flyttad text (Words markering för flytt)"


# ---- what a reader yields -------------------------------------------------

@dataclass(frozen=True)
class RawComment:
    """One comment or proposed change as found in a party's file, before it gets an id.

    source: "word-comment" for a Word comment (replies folded into `text`); "deletion" for
    deleted text; "insertion" for inserted text *and* for a replacement (deleted and
    inserted text next to each other, same reviewer): it proposes new wording. For tracked
    changes `text` says what to do in Swedish ("Ersätt ”X” med ”Y”."), `quote` is the
    sentence as the draft has it and `proposal` the same sentence with the change made.
    `anchor` is stable within the file (and across re-saves that keep the draft text).
    """

    clause: str | None
    document: str | None
    source: CommentSource
    text: str
    proposal: str | None = None
    quote: str | None = None
    author: str | None = None
    date: dt.date | None = None
    anchor: str = ""
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftInfo:
    """What a Word file says about itself when it is one of our distributed documents."""

    document: str
    title: str
    version: str | None  # the frozen version's name, when the file was rendered with it
    version_date: dt.date | None
    status: str | None
    diarienummer: str | None


# ---- identifying a draft --------------------------------------------------

_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_DC = "http://purl.org/dc/elements/1.1/"


def identify_draft(pkg: untrusted.OfficePackage, corpus: Corpus | None = None) -> DraftInfo | None:
    """Whether a docx is one of our distributed documents (None if not), and which one.

    Our files name their document id (and version) in custom properties. A file without
    them counts as ours when the working group wrote it and, given a corpus, its
    diarienummer and title name exactly one of the corpus's documents.
    """
    custom = _custom_properties(pkg)
    core = pkg.xml("docProps/core.xml")

    def prop(ns: str, name: str) -> str | None:
        element = core.find(f"{{{ns}}}{name}") if core is not None else None
        text = (element.text or "").strip() if element is not None else ""
        return text or None

    document = custom.get(DOCUMENT_PROPERTY)
    title, diarienummer = prop(_DC, "title"), prop(_DC, "identifier")
    if document is None:
        if corpus is None or prop(_DC, "creator") != GROUP:
            return None
        matches = [d.id for d in corpus.documents
                   if d.source.diarienummer == diarienummer and d.source.title == title]
        if len(matches) != 1:
            return None
        document = matches[0]
    return DraftInfo(document=document, title=title or "", version=custom.get(VERSION_PROPERTY),
                     version_date=iso_date(prop(_CP, "version")), status=prop(_CP, "contentStatus"),
                     diarienummer=diarienummer)


def _custom_properties(pkg: untrusted.OfficePackage) -> dict[str, str]:
    root = pkg.xml("docProps/custom.xml")
    if root is None:
        return {}
    out = {}
    for prop in root.iter(f"{{{ooxml.CUSTOM}}}property"):
        value = "".join(prop.itertext()).strip()
        if prop.get("name") and value:
            out[prop.get("name")] = value
    return out


def iso_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


# ---- reading a draft ------------------------------------------------------

def read_draft(pkg: untrusted.OfficePackage, corpus: Corpus, info: DraftInfo | None = None) -> list[RawComment]:
    """Every Word comment, insertion, deletion and move in a returned draft, on its clause.

    `corpus` is the version the draft was made from (its clause ids name the bookmarks).
    The working group's own marks (a redline we sent) are not the party's and are skipped.
    """
    info = info or identify_draft(pkg, corpus)
    doc_id = info.document if info else None
    documents = [d for d in corpus.documents if d.id == doc_id] or list(corpus.documents)
    clauses = {ooxml.bookmark_name(c.id): c.id for d in documents for c in d.clauses()}
    # A heading's own text ("3.2.1 Förutsättningar för vård i hemmet") stands in for a bookmark a
    # re-saving program lost; only within one known document, where numbers are unique.
    headings = {squeezed(f"{c.label} {c.title}"): c.id for d in documents if d.id == doc_id for c in d.clauses()}
    terms = {}
    for t in corpus.terms:
        name = ooxml.bookmark_name(term_anchor(t.id))
        terms[name] = terms[name.replace(":", "%3A")[:40]] = t.source.term  # LibreOffice escapes and cuts names
    body = pkg.xml(DOCUMENT_PART)
    body = body.find(qn("body")) if body is not None else None
    if body is None:
        return []
    stream = DraftStream(clauses, ooxml.bookmark_name(GLOSSARY_ID), terms, headings)
    stream.walk(body)
    stream.close()
    return _DraftReader(stream, corpus, doc_id).read(_read_comments(pkg))


# Sentence ends: . ! ? (and closing quotes or brackets) followed by spaces and a capital letter.
_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*[ \t\u00a0]+(?=[\"”(]?[A-ZÅÄÖÉÜ])")
_MAX_QUOTE = 600


def _sentence(text: str, a: int, b: int, lo: int, hi: int) -> tuple[int, int]:
    """Bounds of the sentence(s) around [a, b) in `text`, within [lo, hi) and one paragraph."""
    start = max(lo, text.rfind("\n", lo, a) + 1)
    for match in _SENTENCE_END.finditer(text, start, min(hi, a + 2)):  # room for the capital it looks at
        if match.end() <= a:
            start = match.end()
    para_end = text.find("\n", b, hi)
    end = hi if para_end < 0 else para_end
    for match in _SENTENCE_END.finditer(text, max(a, start), end):
        if match.start() >= b - 1:
            end = match.start() + len(match.group().rstrip(" \t\u00a0"))
            break
    if end < b:
        end = b
    return start, end


def _clip(text: str) -> str:
    """A quote or proposal, trimmed to a readable length at word boundaries."""
    text = text.strip()
    if len(text) <= _MAX_QUOTE:
        return text
    cut = text.rfind(" ", 0, _MAX_QUOTE)
    return text[:cut if cut > 0 else _MAX_QUOTE] + " …"


def _paragraphs(text: str) -> str:
    """Our Text format: paragraphs separated by a blank line, spaces collapsed (a deleted word leaves two)."""
    return "\n\n".join(" ".join(part.split()) for part in text.split("\n") if part.strip())


def _shown(text: str) -> str:
    """Changed text inside „…” in one line: paragraph breaks shown as ¶."""
    return " ¶ ".join(part.strip() for part in text.strip("\n").split("\n") if part.strip())


def _date(text: str | None) -> dt.date | None:
    return iso_date(text)


@dataclass
class _Comment:
    ident: str
    author: str | None
    date: str | None
    text: str
    para_id: str | None
    parent: str | None = None  # comment id of the thread's first comment
    done: bool = False
    replies: list["_Comment"] = field(default_factory=list)


def _read_comments(pkg: untrusted.OfficePackage) -> list[_Comment]:
    """comments.xml with each reply attached to its thread (commentsExtended.xml paraIdParent)."""
    root = pkg.xml(COMMENTS_PART)
    if root is None:
        return []
    comments = []
    for element in root.iter(qn("comment")):
        paras = element.findall(f".//{qn('p')}")
        text = "\n\n".join(t for t in ("".join(plain_text(p)).strip() for p in paras) if t)
        para_id = paras[-1].get(f"{{{W14}}}paraId") if paras else None
        comments.append(_Comment(element.get(qn("id"), ""), element.get(qn("author")), element.get(qn("date")),
                                 text, para_id))
    extended = pkg.xml(COMMENTS_EXTENDED_PART)
    if extended is not None:
        by_para = {c.para_id: c for c in comments if c.para_id}
        for entry in extended.iter(f"{{{W15}}}commentEx"):
            comment = by_para.get(entry.get(f"{{{W15}}}paraId"))
            if comment is None:
                continue
            comment.done = entry.get(f"{{{W15}}}done") in ("1", "true")
            parent = by_para.get(entry.get(f"{{{W15}}}paraIdParent"))
            if parent is not None and parent is not comment:
                comment.parent = parent.ident
    by_id = {c.ident: c for c in comments}
    roots = []
    for comment in comments:
        seen, top = {comment.ident}, comment
        while top.parent and top.parent in by_id and top.parent not in seen:
            seen.add(top.parent)
            top = by_id[top.parent]
        if top is comment:
            roots.append(comment)
        else:
            top.replies.append(comment)
    return roots


def plain_text(element: etree._Element) -> Iterator[str]:
    for node in element.iter(qn("t"), qn("tab"), qn("br")):
        if any(a.tag in (qn("del"), qn("moveFrom")) for a in node.iterancestors()):
            continue
        yield node.text or "" if node.tag == qn("t") else " "


class _DraftReader:
    """Turns a walked stream into RawComments, in reading order: Word comments and tracked changes."""

    def __init__(self, stream: DraftStream, corpus: Corpus, document: str | None):
        self.s = stream
        self.corpus = corpus
        self.document = document
        self.used: dict[str, int] = {}

    def read(self, comments: list[_Comment]) -> list[RawComment]:
        found = [*self.comments(comments), *self.changes()]
        found.sort(key=lambda item: item[0])
        return [raw for _, raw in found]

    # -- places --

    def clause_at(self, region: int, link: str | None) -> tuple[str | None, tuple[str, ...]]:
        """The clause of a region, and flags; a contents entry (front matter) names the clause it links to."""
        r = self.s.regions[region]
        if region == 0 and link in self.s.clauses:
            return self.s.clauses[link], (FLAG_TOC,)
        if r.glossary:
            return None, (FLAG_GLOSSARY,)
        return r.clause, ()

    def region_name(self, region: int) -> str:
        r = self.s.regions[region]
        return "bilagan Termer och begrepp" if r.glossary else self.where(r.clause)

    def anchor(self, region: int, position: int, kind: str) -> str:
        """'<clause>:p<paragraph in clause>:c<offset>:<kind>' in the draft reading; unique within the file."""
        r = self.s.regions[region]
        paras = self.s.paragraphs
        para = bisect.bisect_right(paras, position) - 1
        first = bisect.bisect_right(paras, r.start) - 1
        name = "glossary" if r.glossary else r.clause or "document"
        key = f"{name}:p{para - first}:c{position - paras[para]}:{kind}"
        self.used[key] = self.used.get(key, 0) + 1
        return key if self.used[key] == 1 else f"{key}:{self.used[key]}"

    def where(self, clause: str | None) -> str:
        """How the Swedish text names a place: 'avsnitt 3.2 Vård i hemmet'."""
        if clause is None:
            return "dokumentets inledning"
        try:
            c = self.corpus.clause(clause)
        except KeyError:
            return clause
        return f"avsnitt {c.label} {c.title}"

    def raw(self, clause: str | None, flags: tuple[str, ...], **values) -> RawComment:
        return RawComment(clause=clause, document=self.document if clause is None else None, flags=flags, **values)

    # -- Word comments --

    def comments(self, comments: list[_Comment]) -> Iterator[tuple[tuple, RawComment]]:
        s = self.s
        for comment in comments:
            if comment.author == GROUP:
                continue  # our own note in a redline we sent ("Flyttad från …")
            start = s.starts.get(comment.ident) or s.references.get(comment.ident)
            end = s.ends.get(comment.ident) or s.references.get(comment.ident) or start
            text = comment.text
            flags: list[str] = []
            for reply in comment.replies:
                day = _date(reply.date)
                when = f" ({day.isoformat()})" if day else ""
                text += f"\n\nSvar från {reply.author or 'okänd'}{when}: {reply.text}"
            if comment.replies:
                count = len(comment.replies)
                flags.append(FLAG_THREAD.format(n=count))
            if comment.done:
                flags.append(FLAG_RESOLVED)
            values = dict(source="word-comment", text=text, author=comment.author, date=_date(comment.date))
            if start is None:
                yield ((len(s.regions), 0, 0), self.raw(None, (*flags, FLAG_UNANCHORED),
                                                        anchor=f"document:comment:{comment.ident}", **values))
                continue
            clause, where_flags = self.clause_at(start.region, start.link)
            flags[:0] = [*where_flags, *([FLAG_TERM.format(term=start.term)] if start.term else [])]
            if end.region != start.region:
                flags.append(FLAG_SPANS.format(start=self.region_name(start.region),
                                               end=self.region_name(end.region)))
            quote = s.draft_text[start.draft:end.draft].strip() or s.proposal_text[start.proposal:end.proposal].strip()
            if not quote:  # a comment on a point: the sentence there
                r = s.regions[start.region]
                a, b = _sentence(s.draft_text, start.draft, start.draft, r.start, r.end)
                quote = s.draft_text[a:b]
            yield ((start.region, start.draft, 0),
                   self.raw(clause, tuple(flags), quote=_paragraphs(_clip(quote)) or None,
                            anchor=self.anchor(start.region, start.draft, "comment"), **values))

    # -- tracked changes --

    def groups(self) -> Iterator[list[Segment]]:
        """Changed segments grouped: adjacent, same reviewer, same clause (only spaces between)."""
        group: list[Segment] = []
        pending: list[Segment] = []

        def key(seg: Segment) -> tuple:
            return (seg.kind if seg.move else "edit", seg.author, seg.region, seg.move)

        for seg in self.s.segments:
            if seg.kind == "keep":
                if group and not seg.mark and not seg.text.strip() and seg.region == group[0].region:
                    pending.append(seg)
                    continue
                if group:
                    yield group
                group, pending = [], []
            elif group and key(group[0]) == key(seg):
                group.extend(pending)
                group.append(seg)
                pending = []
            else:
                if group:
                    yield group
                group, pending = [seg], []
        if group:
            yield group

    def context(self, a: int, b: int, new: str, region: Region) -> tuple[str, str]:
        """(quote, proposal): the sentence(s) around draft[a:b] as the draft has them, and with `new` instead."""
        text, lo, hi = self.s.draft_text, region.start, region.end
        old = text[a:b]
        if old.endswith("\n") and not new.strip():
            if old.strip():  # whole paragraphs deleted
                return text[a:b - 1], ""
            start, _ = _sentence(text, a, a, lo, hi)  # two paragraphs joined
            _, end = _sentence(text, b, b, lo, hi)
            return text[start:end], text[start:a] + " " + text[b:end]
        if new.endswith("\n") and not old.strip() and a > lo and text[a - 1] == "\n":
            start, _ = _sentence(text, a - 1, a - 1, lo, hi)  # new paragraphs: after the paragraph before
            return text[start:a - 1], text[start:a - 1] + "\n" + new.rstrip("\n")
        inner_a = a + len(old) - len(old.lstrip()) if old.strip() else a  # the words, not the spaces around
        inner_b = b - (len(old) - len(old.rstrip())) if old.strip() else b
        start, end = _sentence(text, inner_a, inner_b, lo, hi)
        start, end = _window(text, start, a, b, end)
        return text[start:end], text[start:a] + new + text[b:end]

    def changes(self) -> Iterator[tuple[tuple, RawComment]]:
        s = self.s
        groups = list(self.groups())
        move_ends = {(g[0].kind, g[0].move): self.clause_at(g[0].region, g[0].link)[0] for g in groups if g[0].move}
        for group in groups:
            first, last = group[0], group[-1]
            a = first.draft
            b = last.draft + (len(last.text) if last.kind in ("keep", "del", "move-from") else 0)
            end_proposal = last.proposal + (len(last.text) if last.kind in ("keep", "ins", "move-to") else 0)
            old, new = s.draft_text[a:b], s.proposal_text[first.proposal:end_proposal]
            quote, proposal = self.context(a, b, new, s.regions[first.region])
            clause, flags = self.clause_at(first.region, first.link)
            if first.term:
                flags = (*flags, FLAG_TERM.format(term=first.term))
            if first.move:
                flags = (*flags, FLAG_MOVED)
                other = (first.kind.replace("from", "to") if first.kind == "move-from" else "move-from", first.move)
                there = self.where(move_ends[other]) if other in move_ends else "en annan plats"
                if first.kind == "move-from":
                    text, source = f"Flytta ”{_shown(old)}” till {there}.", "deletion"
                else:
                    text, source = f"Flytta hit ”{_shown(new)}” från {there}.", "insertion"
            else:
                text, source = _instruction(old, new, any(seg.mark for seg in group), quote)
            yield ((first.region, a, 1), self.raw(
                clause, flags, source=source, text=text, quote=_paragraphs(_clip(quote)) or None,
                proposal=_paragraphs(_clip(proposal)) or None, author=first.author, date=_date(first.date),
                anchor=self.anchor(first.region, a, "move" if first.move else "change")))


def _instruction(old: str, new: str, marks: bool, quote: str) -> tuple[str, CommentSource]:
    """What a tracked change asks for, in Swedish, and its source (a replacement counts as an insertion)."""
    if old.strip() and new.strip():
        return f"Ersätt ”{_shown(old)}” med ”{_shown(new)}”.", "insertion"
    if new.strip():
        return f"Infoga {'nytt stycke: ' if marks else ''}”{_shown(new)}”.", "insertion"
    if old.strip():
        return f"Stryk {'stycket ' if marks else ''}”{_shown(old)}”.", "deletion"
    if new:
        return "Dela stycket i två.", "insertion"
    return "Slå ihop styckena.", "deletion"


def _window(text: str, start: int, a: int, b: int, end: int, room: int = 250) -> tuple[int, int]:
    """Narrow a long sentence to about `room` characters either side of the change, at spaces."""
    if a - start > room:
        cut = text.find(" ", a - room, a)
        start = cut + 1 if cut >= 0 else a - room
    if end - b > room:
        cut = text.rfind(" ", b, b + room)
        end = cut if cut > b else b + room
    return start, end
