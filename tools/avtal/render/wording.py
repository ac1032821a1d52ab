"""How the model is worded in Swedish output: references, citations, dates, status.

Kept in one place so that Word, PDF, web and the redline say it the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..model import Clause, Corpus, Document, Term
from ..model.schema import Statute
from ..model.versions import Version
from ..model.text import Cite, DocRef, Emph, Link, Ref, Str, Strong, TermUse, block_inlines, walk_inlines

if TYPE_CHECKING:  # only named in an annotation: the remiss model stays off build and redline
    from ..model.remiss import Round

MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december"]
STATUS_LABEL = {"arbetsutkast": "Arbetsutkast", "remissversion": "Remissversion", "förslag": "Förslag",
                "beslutad": "Beslutad"}
KIND_LABEL = {"huvudavtal": "Huvudavtal", "ramavtal": "Ramavtal", "överenskommelse": "Överenskommelse"}
DRAFT_STATUSES = {"arbetsutkast", "remissversion", "förslag"}
GROUP = "Arbetsgruppen för Hälso- och sjukvårdsavtalet"


def long_date(day: dt.date) -> str:
    """'30 januari 2025'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def version_name(version: Corpus | Version, title: str | None = None) -> str:
    """What readers call a version: its recorded title, else status and date, e.g. 'Remissversion 2025-01-30'.

    A frozen version's record has both; other sources (a git ref, the working tree) are named by their
    first document's status and the latest date (a frozen version stamps every document with its own)."""
    if isinstance(version, Version):
        title, status, day = title or version.title, version.status, version.date
    else:
        status, day = version.documents[0].source.status, max(d.source.version_date for d in version.documents)
    return title or f"{STATUS_LABEL[status]} {day.isoformat()}"


def round_name(source: Round) -> str:
    """What readers call a remiss round: its `name`, else 'Remiss 2025-01-30' (the sent date)."""
    return source.name or f"Remiss {source.sent.isoformat()}"


def listing(names: list[str]) -> str:
    """'A', 'A och B', 'A, B och C'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " och " + names[-1]


def amount(n: int, one: str, many: str) -> str:
    """'1 synpunkt', '2 synpunkter', '0 synpunkter': the number and the word in the form the number takes."""
    return f"{n} {one if n == 1 else many}"


def comment_label(comment_id: str) -> str:
    """A comment id where a reader may cite it (report tables, positions workbook): 'synpunkt boras-3'."""
    return f"synpunkt {comment_id}"


def ref_label(corpus: Corpus, target: Clause, from_doc: str | None) -> str:
    """'avsnitt 3.2', or 'avsnitt 4.1 i Hälso- och sjukvårdsavtalet' across documents."""
    label = f"avsnitt {target.label}"
    if target.doc != from_doc:
        label += f" i {corpus.document(target.doc).source.short_title}"
    return label


def cite(statute: Statute, node: Cite) -> str:
    """'16 kap. 4 § hälso- och sjukvårdslagen (2017:30)'; 'lagen (1993:387) om stöd …' as statutes are cited."""
    pinpoint = node.pinpoint
    first, _, rest = statute.name.partition(" ")
    name = f"{first} ({statute.sfs}) {rest}" if first == "lagen" and rest else f"{statute.name} ({statute.sfs})"
    return f"{pinpoint + ' ' if pinpoint else ''}{name}"


def header_line(doc: Document) -> str:
    """Page header: short title and status with date, e.g. 'Munhälsa · ARBETSUTKAST 2025-01-30'."""
    meta = doc.source
    return f"{meta.short_title} · {meta.status.upper()} {meta.version_date.isoformat()}"


def is_draft(doc: Document) -> bool:
    return doc.source.status in DRAFT_STATUSES


def swedish_key(word: str) -> str:
    """Sort key with å, ä, ö after z, as in a Swedish dictionary."""
    return word.lower().translate(str.maketrans({"å": "{", "ä": "|", "ö": "}", "é": "e", "ü": "y"}))


def terms_used(corpus: Corpus, doc: Document) -> list[Term]:
    """The glossary terms a document uses, in Swedish alphabetical order."""
    ids = {n.term for inlines in doc.runs() for n in walk_inlines(inlines) if isinstance(n, TermUse)}
    pending = list(ids)
    while pending:  # a definition that uses another term pulls that term in too
        for inlines in block_inlines(corpus.term(pending.pop()).definition):
            for n in walk_inlines(inlines):
                if isinstance(n, TermUse) and n.term not in ids:
                    ids.add(n.term)
                    pending.append(n.term)
    return sorted((corpus.term(i) for i in ids), key=lambda t: swedish_key(t.source.term))


def all_terms(corpus: Corpus) -> list[Term]:
    return sorted(corpus.terms, key=lambda t: swedish_key(t.source.term))


def plain(corpus: Corpus, doc_id: str, inlines) -> str:
    """Inline text as a reader sees it (references worded as in the rendered document)."""
    out: list[str] = []
    for node in inlines:
        if isinstance(node, Str):
            out.append(node.text)
        elif isinstance(node, (Emph, Strong, Link)):
            out.append(plain(corpus, doc_id, node.children))
        elif isinstance(node, Ref):
            out.append(ref_label(corpus, corpus.clause(node.target), doc_id))
        elif isinstance(node, DocRef):
            out.append(corpus.document(node.doc).title)
        elif isinstance(node, TermUse):
            out.append(node.form or corpus.term(node.term).source.term)
        elif isinstance(node, Cite):
            out.append(cite(corpus.statute(node.law), node))
    return "".join(out)


def clause_text(corpus: Corpus, clause: Clause) -> str:
    """All text of one clause (not its children): paragraphs, list items and table cells."""
    runs = [plain(corpus, clause.doc, inlines) for inlines in block_inlines(clause.body)]
    if clause.table:
        runs.extend(clause.table.header)
        runs.extend(plain(corpus, clause.doc, cell) for row in clause.table.rows for cell in row)
    return " ".join(runs)
