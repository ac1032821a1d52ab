"""Web edition: one static page per document, an index, the glossary, and client-side search."""

from __future__ import annotations

import json
from html import escape

from ..model import Corpus, Document
from . import ast, publication, wording
from .docx import document_publication
from .publication import Publication, Web
from .site import page
from .tree import TreeBuilder, term_anchor


def _toc(doc: Document, extra: list[tuple[str, str]] = ()) -> str:
    """Nested list of level 1–2 headings."""
    lines = ["<ol>"]
    for section in doc.sections:
        lines.append(f'<li><a href="#{escape(section.id)}">{escape(section.label)} {escape(section.title)}</a>')
        children = [c for c in section.children]
        if children:
            lines.append("<ol>")
            lines.extend(f'<li><a href="#{escape(c.id)}">{escape(c.label)} {escape(c.title)}</a></li>' for c in children)
            lines.append("</ol>")
        lines.append("</li>")
    lines.extend(f'<li><a href="{escape(href)}">{escape(text)}</a></li>' for href, text in extra)
    lines.append("</ol>")
    return "\n".join(lines)


def banner(doc: Document) -> str:
    if not wording.is_draft(doc):
        return ""
    meta = doc.source
    return (f'<p class="status-banner" role="note">{escape(wording.STATUS_LABEL[meta.status])} '
            f'{escape(meta.version_date.isoformat())}: texten är inte beslutad.</p>')


def document_web(corpus: Corpus, doc: Document, *, files: str = "../", glossary: str = "begrepp.html",
                 home: str = "index.html") -> Web:
    """A document's page in the edition: contents, draft banner, its Word and PDF (in `files`)."""
    return Web(corpus.package.title, _toc(doc, [(glossary, "Termer och begrepp")]), home=home, banner=banner(doc),
               downloads=(("Word", f"{files}{doc.id}.docx"), ("PDF", f"{files}{doc.id}.pdf")))


def render_page(corpus: Corpus, doc: Document, builder: TreeBuilder | None = None, *, files: str = "../",
                title: str | None = None, glossary: str = "begrepp.html", home: str = "index.html") -> str:
    """The web page of one document (or of a redline: its builder, where its files are, its title)."""
    builder = builder or TreeBuilder(corpus, doc, "html", statute_texts=True)
    web = document_web(corpus, doc, files=files, glossary=glossary, home=home)
    pub = document_publication(corpus, doc, None, builder.body(), title=title, web=web)
    return publication.html_page(pub).decode("utf-8")


def render_index(corpus: Corpus) -> str:
    items = []
    for doc in corpus.documents:
        meta = doc.source
        items.append(
            f'<li><a href="{escape(doc.id)}.html"><strong>{escape(meta.title)}</strong></a><br>'
            f'{escape(wording.KIND_LABEL[meta.kind])} · {escape(wording.STATUS_LABEL[meta.status])} '
            f'{escape(meta.version_date.isoformat())} · Dnr {escape(meta.diarienummer)} · '
            f'<a href="../{escape(doc.id)}.docx">Word</a> · <a href="../{escape(doc.id)}.pdf">PDF</a></li>'
        )
    main = (f"<h1>{escape(corpus.package.title)}</h1>"
            "<p>Huvudavtalet och de fyra lagreglerade överenskommelserna. Sök i all avtalstext med sökrutan "
            "ovan.</p><h2>Dokument</h2>"
            f'<ol class="doc-list">{"".join(items)}</ol>'
            '<h2>Termer och begrepp</h2><p><a href="begrepp.html">Gemensamma termer och begrepp</a> för alla '
            "avtalsdokument.</p>")
    toc = "<ol>" + "".join(f'<li><a href="{escape(d.id)}.html">{escape(d.source.short_title)}</a></li>'
                           for d in corpus.documents) + '<li><a href="begrepp.html">Termer och begrepp</a></li></ol>'
    return page(corpus.package.title, title=corpus.package.title, main=main, toc=toc, body_class="index")


class _GlossaryBuilder(TreeBuilder):
    """Writes the shared glossary page, which belongs to no document: every reference names its document."""

    @property
    def here(self) -> str | None:
        return None


def render_glossary(corpus: Corpus) -> str:
    builder = _GlossaryBuilder(corpus, corpus.documents[0], "html", statute_texts=True)
    blocks: list[ast.Node] = []
    for term in wording.all_terms(corpus):
        blocks.extend(builder.term_entry(term.id))
    toc = "<ol>" + "".join(f'<li><a href="#{escape(term_anchor(t.id))}">{escape(t.source.term)}</a></li>'
                           for t in wording.all_terms(corpus)) + "</ol>"
    web = Web(corpus.package.title, toc, body_class="glossary", masthead=False)
    return publication.html_page(Publication("Termer och begrepp", blocks, None, web=web)).decode("utf-8")


def search_index(corpus: Corpus, only: set[str] | None = None) -> str:
    """The search index as a script; `only` limits it to some documents (a redline's)."""
    entries = [
        {"d": doc.id, "s": doc.source.short_title, "i": c.id, "n": c.label, "t": c.title,
         "x": wording.clause_text(corpus, c)}
        for doc in corpus.documents if only is None or doc.id in only for c in doc.clauses()
    ]
    return "window.AVTAL_INDEX = " + json.dumps(entries, ensure_ascii=False, separators=(",", ":")) + ";\n"
