"""PDF: pandoc's typst writer with templates/document.typ, compiled by typst to PDF/UA-1 + PDF/A-2b."""

from __future__ import annotations

import datetime as dt
import importlib.util
from functools import cache
from pathlib import Path

import typst

from ..model import Corpus, Document
from . import ast, wording
from .docx import TEMPLATES, title_info
from .pandoc import convert
from .tree import TreeBuilder

PDF_STANDARDS = ["a-2b", "ua-1"]


@cache
def font_paths() -> list[str]:
    """Lato from the font-lato package: shipped with the project, so PDFs are identical on every machine."""
    spec = importlib.util.find_spec("font_lato")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [str(Path(next(iter(spec.submodule_search_locations))) / "files")]


def metadata(corpus: Corpus, doc: Document) -> dict[str, ast.Node]:
    meta = doc.source
    info = {"t": "MetaList", "c": [
        {"t": "MetaMap", "c": {"label": ast.meta_string(label), "value": ast.meta_string(value)}}
        for label, value in title_info(doc)
    ]}
    fields = {
        "title": ast.meta_string(meta.title),
        "short-title": ast.meta_string(meta.short_title),
        "kind": ast.meta_string(wording.KIND_LABEL[meta.kind]),
        "status-upper": ast.meta_string(meta.status.upper()),
        "version-iso": ast.meta_string(meta.version_date.isoformat()),
        "diarienummer": ast.meta_string(meta.diarienummer),
        "author": ast.meta_string(wording.GROUP),
        "keywords": {"t": "MetaList", "c": [ast.meta_string(meta.diarienummer), ast.meta_string(meta.short_title)]},
        "draft": {"t": "MetaBool", "c": wording.is_draft(doc)},
        "info": info,
    }
    if meta.subtitle:
        fields["subtitle"] = ast.meta_string(meta.subtitle)
    return fields


def typst_source(corpus: Corpus, doc: Document, builder: TreeBuilder | None = None) -> bytes:
    builder = builder or TreeBuilder(corpus, doc, "typst")
    tree = builder.tree(meta=metadata(corpus, doc))
    return convert(tree, "typst", "--standalone", f"--template={TEMPLATES / 'document.typ'}")


def compile_pdf(source: bytes, when: dt.datetime) -> bytes:
    return typst.compile(source, format="pdf", pdf_standards=PDF_STANDARDS, timestamp=int(when.timestamp()),
                         font_paths=font_paths(), ignore_system_fonts=True)


def render_pdf(corpus: Corpus, doc: Document, when: dt.datetime, builder: TreeBuilder | None = None) -> bytes:
    """The accessible PDF of one document."""
    return compile_pdf(typst_source(corpus, doc, builder), when)
