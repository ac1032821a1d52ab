"""What a document's Word file says it was made from: its custom properties, and the digest of its words.

A returned draft is recognised by what it says about itself (Word and LibreOffice keep custom properties
on save): which of our documents it is (`avtal.document`) and which frozen version (`avtal.version`).
A file from a frozen version names that version (`avtal.version`). A file built from the working
sources (or a redline to them, or to a git ref) cannot: those move. It carries instead the SHA-256 of
its text as read (title page values, preamble, every clause's number, title, paragraphs, list items
and table, the glossary appendix), paragraph by paragraph. `avtal apply` computes the same digest for
the working sources, the frozen versions and the sources of each git commit, and takes the first that
matches as the base of its three-way comparison. Markup is left out on purpose: a base that reads the
same is as good as the one the file was made from.
"""

from __future__ import annotations

import hashlib

from ..model import Corpus, Document
from ..model.text import Para, block_inlines
from .wording import plain, terms_used

DOCUMENT_PROPERTY = "avtal.document"
VERSION_PROPERTY = "avtal.version"
TEXT_PROPERTY = "avtal.text-sha256"  # the digest below


def text_digest(corpus: Corpus, doc: Document) -> str:
    """SHA-256 of the text of `doc` as its Word file shows it, one line per paragraph (spaces collapsed)."""
    meta = doc.source
    lines = [f"document {doc.id}", meta.title, meta.subtitle or "", meta.kind, meta.status, str(meta.version_date),
             meta.diarienummer, str(meta.valid_from), str(meta.valid_to or "")]
    lines += [plain(corpus, doc.id, inlines) for inlines in block_inlines(doc.preamble)]
    for clause in doc.clauses():
        lines += [f"clause {clause.id}", f"{clause.label} {clause.title}"]
        for block in clause.body:
            items = [block.inlines] if isinstance(block, Para) else block.items
            lines += [f"{type(block).__name__} {plain(corpus, doc.id, i)}" for i in items]
        if clause.table is not None:
            lines += [f"table {clause.table.caption or ''}", *clause.table.header]
            lines += [plain(corpus, doc.id, cell) for row in clause.table.rows for cell in row]
    for term in terms_used(corpus, doc):
        lines += [f"term {term.source.term}", *(plain(corpus, doc.id, i) for i in block_inlines(term.definition))]
    text = "\n".join(" ".join(line.split()) for line in lines)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
