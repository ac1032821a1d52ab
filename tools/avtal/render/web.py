"""Web edition: one static page per document, an index, the glossary, and client-side search.

Works offline straight from the folder: no CDN, fonts and scripts alongside,
the search index loaded as a script (file:// pages cannot fetch JSON).
"""

from __future__ import annotations

import itertools
import json
import re
from html import escape
from pathlib import Path
from string import Template

from ..model import Corpus, Document
from . import ast, wording
from .docx import TEMPLATES, title_info
from .pandoc import convert
from .pdf import font_paths
from .tree import TreeBuilder, term_anchor

WEB_TEMPLATES = TEMPLATES / "web"
FONTS = ("Lato-Regular.ttf", "Lato-Italic.ttf", "Lato-Bold.ttf", "Lato-BoldItalic.ttf")


def page(corpus: Corpus, *, title: str, main: str, toc: str, banner: str = "", body_class: str = "",
         home: str = "index.html") -> str:
    template = Template((WEB_TEMPLATES / "page.html").read_text(encoding="utf-8"))
    package = corpus.package.title
    return template.substitute(
        page_title=escape(f"{title} – {package}" if title != package else package),
        description=escape(title),
        package_title=escape(package),
        status_banner=banner,
        toc=toc,
        main=scrolling_tables(main),
        footer=escape(f"{wording.GROUP}. Webbversion genererad från avtalets källtext."),
        body_class=body_class,
        home=home,
    )


_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_CAPTION = re.compile(r"<caption\b([^>]*)>")
_ID = re.compile(r'\bid="([^"]*)"')


def scrolling_tables(html: str) -> str:
    """Each table in its own focusable region labelled by its caption, which scrolls sideways when the table is
    wider than the screen, so the page itself never does (WCAG 1.4.10 Reflow) and a keyboard can scroll it."""
    numbers = itertools.count(1)

    def wrap(match: re.Match[str]) -> str:
        table, number = match.group(0), next(numbers)
        caption = _CAPTION.search(table)
        if caption is None:
            label = 'aria-label="Tabell"'
        else:
            known = _ID.search(caption.group(1))
            ident = known.group(1) if known else f"tabell:{number}"
            if not known:
                table = f'{table[:caption.start()]}<caption id="{ident}"{caption.group(1)}>{table[caption.end():]}'
            label = f'aria-labelledby="{ident}"'
        return f'<div class="table-scroll" role="region" tabindex="0" {label}>\n{table}\n</div>'

    return _TABLE.sub(wrap, html)


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


def fragment(tree: ast.Node) -> str:
    return convert(tree, "html5", "--shift-heading-level-by=1", "--wrap=none").decode("utf-8")


def render_page(corpus: Corpus, doc: Document, builder: TreeBuilder | None = None, *, files: str = "../",
                title: str | None = None, glossary: str = "begrepp.html", home: str = "index.html") -> str:
    """The web page of one document (or of a redline: its builder, where its files are, its title)."""
    builder = builder or TreeBuilder(corpus, doc, "html", statute_texts=True)
    meta = doc.source
    info = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in title_info(doc))
    downloads = (f'<p class="downloads">Ladda ner: <a href="{files}{escape(doc.id)}.docx">Word</a> · '
                 f'<a href="{files}{escape(doc.id)}.pdf">PDF</a></p>')
    subtitle = f'<p class="subtitle">{escape(meta.subtitle)}</p>' if meta.subtitle else ""
    heading = title or meta.title
    main = (f'<p class="kind">{escape(wording.KIND_LABEL[meta.kind])}</p><h1>{escape(heading)}</h1>{subtitle}'
            f'<dl class="meta">{info}</dl>{downloads}\n{fragment(builder.tree())}')
    return page(corpus, title=heading, main=main, toc=_toc(doc, [(glossary, "Termer och begrepp")]), home=home,
                 banner=banner(doc))


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
    return page(corpus, title=corpus.package.title, main=main, toc=toc, body_class="index")


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
    main = "<h1>Termer och begrepp</h1>\n" + fragment(ast.document(blocks))
    toc = "<ol>" + "".join(f'<li><a href="#{escape(term_anchor(t.id))}">{escape(t.source.term)}</a></li>'
                           for t in wording.all_terms(corpus)) + "</ol>"
    return page(corpus, title="Termer och begrepp", main=main, toc=toc, body_class="glossary")


def search_index(corpus: Corpus, only: set[str] | None = None) -> str:
    """The search index as a script; `only` limits it to some documents (a redline's)."""
    entries = [
        {"d": doc.id, "s": doc.source.short_title, "i": c.id, "n": c.label, "t": c.title,
         "x": wording.clause_text(corpus, c)}
        for doc in corpus.documents if only is None or doc.id in only for c in doc.clauses()
    ]
    return "window.AVTAL_INDEX = " + json.dumps(entries, ensure_ascii=False, separators=(",", ":")) + ";\n"


def static_assets() -> dict[str, bytes]:
    """Files copied as they are: stylesheet, search script, fonts."""
    assets = {
        "assets/style.css": (WEB_TEMPLATES / "style.css").read_bytes(),
        "assets/search.js": (WEB_TEMPLATES / "search.js").read_bytes(),
    }
    for folder in font_paths():
        for name in FONTS:
            assets[f"assets/fonts/{name}"] = (Path(folder) / name).read_bytes()
    return assets
