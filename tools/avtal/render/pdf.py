"""A document's PDF: its tree written as typst (templates/document.typ), compiled to PDF/UA-1 + PDF/A-2b."""

from __future__ import annotations

import datetime as dt

from ..model import Corpus, Document
from . import publication
from .docx import document_publication
from .tree import TreeBuilder


def render_pdf(corpus: Corpus, doc: Document, when: dt.datetime, builder: TreeBuilder | None = None,
               **changes: object) -> bytes:
    """The accessible PDF of one document (or of a redline, given its builder and what its PDF says instead)."""
    builder = builder or TreeBuilder(corpus, doc, "typst")
    return publication.pdf(document_publication(corpus, doc, when, builder.body(), **changes))
