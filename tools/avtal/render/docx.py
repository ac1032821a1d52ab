"""Word: a document's tree (with its title page and contents) written by `word.write_docx`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..model import Corpus, Document
from . import ast, ooxml, wording
from .stamp import TEXT_PROPERTY, text_digest
from .tree import GLOSSARY_ID, TreeBuilder
from .word import write_docx

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


def title_info(doc: Document) -> list[tuple[str, str]]:
    """The 'label: value' lines of a title page, shared by Word and PDF."""
    meta = doc.source
    info = [
        ("Status", wording.STATUS_LABEL[meta.status]),
        ("Versionsdatum", wording.long_date(meta.version_date)),
        ("Diarienummer", meta.diarienummer),
        ("Gäller från", wording.long_date(meta.valid_from)),
    ]
    if meta.valid_to:
        info.append(("Gäller till", wording.long_date(meta.valid_to)))
    return info


def front_matter(builder: TreeBuilder) -> list[ast.Node]:
    """Title page and table of contents as raw OOXML blocks."""
    doc = builder.doc
    meta = doc.source
    entries = [(c.level, c.id, f"{c.label} {c.title}") for c in doc.clauses() if c.level <= 2]
    if wording.terms_used(builder.corpus, doc):
        entries.append((1, GLOSSARY_ID, "Bilaga. Termer och begrepp"))
    return [
        ast.raw_block("openxml", ooxml.title_page(wording.KIND_LABEL[meta.kind], meta.title, meta.subtitle,
                                                  title_info(doc))),
        ast.raw_block("openxml", ooxml.table_of_contents("Innehåll", entries)),
        ast.raw_block("openxml", ooxml.page_break()),
    ]


def render_docx(corpus: Corpus, doc: Document, when: dt.datetime, builder: TreeBuilder | None = None,
                header: str | None = None, title: str | None = None, tracked: bool = False,
                version: str | None = None, pages: dict[str, int] | None = None) -> bytes:
    """The Word file of one document (or of a redline, given its builder, page header and title).

    The file names its document id (and `version`, the frozen version's name, when given) in custom
    properties, so a draft a party sends back is recognised without guessing. `pages` (clause id → page,
    from the PDF's layout: `pdf.heading_pages`) fills in the table of contents' page numbers.
    """
    builder = builder or TreeBuilder(corpus, doc, "docx")
    meta = doc.source
    tree = builder.tree(meta={"lang": ast.meta_string("sv-SE")}, front=front_matter(builder))
    custom = {ooxml.DOCUMENT_PROPERTY: doc.id, **({ooxml.VERSION_PROPERTY: version} if version else {}),
              TEXT_PROPERTY: text_digest(corpus, doc)}  # finds the base of an edited file that names no version
    properties = {
        "title": title or meta.title,
        "subject": meta.subtitle or wording.KIND_LABEL[meta.kind],
        "creator": wording.GROUP,
        "lastModifiedBy": wording.GROUP,
        "language": "sv-SE",
        "identifier": meta.diarienummer,
        "keywords": f"{meta.diarienummer}; {meta.short_title}; {wording.STATUS_LABEL[meta.status]}",
        "version": meta.version_date.isoformat(),
        "contentStatus": wording.STATUS_LABEL[meta.status],
        "category": wording.KIND_LABEL[meta.kind],
    }
    return write_docx(tree, header=header or wording.header_line(doc), when=when, tracked=tracked,
                      properties=properties, custom=custom, pages=pages)
