"""PDF: the document tree written as typst (templates/document.typ), compiled to PDF/UA-1 + PDF/A-2b."""

from __future__ import annotations

import datetime as dt
import importlib.util
from functools import cache
from pathlib import Path

import typst

from ..model import Corpus, Document
from . import typst as typst_writer
from . import wording
from .docx import TEMPLATES, title_info
from .tree import TreeBuilder

PDF_STANDARDS = ["a-2b", "ua-1"]


@cache
def font_paths() -> list[str]:
    """Lato from the font-lato package: shipped with the project, so PDFs are identical on every machine."""
    spec = importlib.util.find_spec("font_lato")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [str(Path(next(iter(spec.submodule_search_locations))) / "files")]


def metadata(doc: Document) -> dict:
    """What the page design shows: title page, header, footer, watermark, PDF metadata."""
    meta = doc.source
    fields = {
        "title": meta.title,
        "short-title": meta.short_title,
        "kind": wording.KIND_LABEL[meta.kind],
        "status-upper": meta.status.upper(),
        "version-iso": meta.version_date.isoformat(),
        "diarienummer": meta.diarienummer,
        "author": wording.GROUP,
        "keywords": [meta.diarienummer, meta.short_title],
        "draft": wording.is_draft(doc),
        "info": [list(pair) for pair in title_info(doc)],
    }
    if meta.subtitle:
        fields["subtitle"] = meta.subtitle
    return fields


def typst_source(corpus: Corpus, doc: Document, builder: TreeBuilder | None = None, **meta: object) -> bytes:
    """Typst source of a document; `meta` overrides fields of its metadata (e.g. a redline's title)."""
    builder = builder or TreeBuilder(corpus, doc, "typst")
    template = (TEMPLATES / "document.typ").read_text(encoding="utf-8")
    return typst_writer.document({**metadata(doc), **meta}, template, builder.body()).encode("utf-8")


def compile_pdf(source: bytes, when: dt.datetime) -> bytes:
    return typst.compile(source, format="pdf", pdf_standards=PDF_STANDARDS, timestamp=int(when.timestamp()),
                         font_paths=font_paths(), ignore_system_fonts=True)


def render_pdf(corpus: Corpus, doc: Document, when: dt.datetime, builder: TreeBuilder | None = None,
               **meta: object) -> bytes:
    """The accessible PDF of one document (or of a redline, given its builder and metadata overrides)."""
    return compile_pdf(typst_source(corpus, doc, builder, **meta), when)
