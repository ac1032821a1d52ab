"""A document of the package as a `Publication`, and its Word file."""

from __future__ import annotations

import datetime as dt

from ..model import Corpus, Document
from . import publication, wording
from .publication import Publication, Web
from .stamp import DOCUMENT_PROPERTY, TEXT_PROPERTY, VERSION_PROPERTY, text_digest
from .tree import GLOSSARY_ID, TreeBuilder


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


def contents(corpus: Corpus, doc: Document) -> tuple[tuple[int, str, str], ...]:
    """Word's contents: avsnitt and clauses to level 2, then the glossary appendix when there is one."""
    entries = [(c.level, c.id, f"{c.label} {c.title}") for c in doc.clauses() if c.level <= 2]
    if wording.terms_used(corpus, doc):
        entries.append((1, GLOSSARY_ID, "Bilaga. Termer och begrepp"))
    return tuple(entries)


def document_publication(corpus: Corpus, doc: Document, when: dt.datetime, blocks: list, *, title: str | None = None,
                         header: str | None = None, version: str | None = None, web: Web | None = None,
                         **changes) -> Publication:
    """One document (or its redline: its title, page header, and the PDF's status line in `changes`).

    The Word file names its document id (and `version`, the frozen version's name, when given) in custom
    properties, so a draft a party sends back is recognised without guessing.
    """
    meta = doc.source
    fields = dict(
        title=title or meta.title, blocks=blocks, when=when, kind=wording.KIND_LABEL[meta.kind],
        subtitle=meta.subtitle, info=tuple(title_info(doc)), cover=meta.title, contents=contents(corpus, doc),
        header=header or wording.header_line(doc), short_title=meta.short_title, status=meta.status.upper(),
        dated=meta.version_date.isoformat(), footer=meta.diarienummer, draft=wording.is_draft(doc),
        keywords=(meta.diarienummer, meta.short_title),
        properties={
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
        },
        custom={DOCUMENT_PROPERTY: doc.id, **({VERSION_PROPERTY: version} if version else {}),
                TEXT_PROPERTY: text_digest(corpus, doc)},  # finds the base of an edited file that names no version
        web=web)
    fields.update(changes)
    return Publication(**fields)


def render_docx(corpus: Corpus, doc: Document, when: dt.datetime, builder: TreeBuilder | None = None,
                header: str | None = None, title: str | None = None, tracked: bool = False,
                version: str | None = None, pages: dict[str, int] | None = None) -> bytes:
    """The Word file of one document (or of a redline, given its builder, page header and title).

    `pages` (clause id → page, from the PDF's layout: `publication.pdf_and_pages`) fills in the table of contents'
    page numbers.
    """
    builder = builder or TreeBuilder(corpus, doc, "docx")
    pub = document_publication(corpus, doc, when, builder.body(), title=title, header=header, version=version,
                               tracked=tracked)
    return publication.docx(pub, pages)
