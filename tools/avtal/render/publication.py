"""The one publisher: a `Publication` says what a published document is; one function per format writes it.

Documents, redlines, the ändringsförteckning, the remissammanställning and the missiv build a tree
and hand it over here. Only this module calls the writers (`word`, `html`, `typst`), typst and the
OOXML finisher, so a fix to page headers, accessibility or OOXML validity is made once, for all of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Callable, Mapping, Sequence

from . import ast, html, wording
from . import typst as typst_writer
from .house import DOCUMENT_DESIGN
from .site import SEARCH_LABEL, page
from .typeset import Layout, compile_pdf, layout_pages



@dataclass(frozen=True)
class Web:
    """What only the web page has: where it sits in the edition, its contents beside the text, its downloads."""

    site: str  # the edition's title, in the site bar and the window title
    toc: str  # the contents beside the text (an HTML list)
    downloads: tuple[tuple[str, str], ...] = ()  # (label, href): "Ladda ner: Word · PDF"
    banner: str = ""  # e.g. a draft's status (HTML)
    body_class: str = ""
    home: str = "index.html"
    masthead: bool = True  # kind, subtitle, the title page's facts and the downloads above the text
    assets: str = "assets"  # the stylesheet's and scripts' folder, from the page
    search_label: str = SEARCH_LABEL


@dataclass(frozen=True)
class Publication:
    """One publication, whatever the format: title page, page furniture, properties and the blocks."""

    title: str
    blocks: Sequence[ast.Node]
    when: dt.datetime | None  # every date inside the files (None: a web page alone, which shows none)
    kind: str = ""  # the title page's first line
    subtitle: str | None = None
    info: tuple[tuple[str, str], ...] = ()  # the title page's 'label: value' lines
    cover: str | None = None  # Word's title page, when it does not show `title` (a redline names its document)
    contents: tuple[tuple[int, str, str], ...] = ()  # Word's contents: (level, heading id, text)
    header: str = ""  # Word's page header line (a letter: its PDF's)
    short_title: str = ""  # the PDF's page header: short title, status, version
    status: str = ""  # also the watermark of a draft
    dated: str = ""  # the version date in the PDF page header (empty for a redline, which spans two)
    footer: str = ""  # the PDF's page footer (a document's diarienummer)
    draft: bool = False
    author: str = wording.GROUP
    keywords: tuple[str, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)  # Word's core properties
    custom: Mapping[str, str] = field(default_factory=dict)  # Word's custom properties (avtal.document, …)
    language: str = "sv-SE"
    tracked: bool = False  # a redline: Word tracks whole inserted or deleted paragraphs and rows too
    letter: bool = False  # a letter's page design: no title page or contents, header and footer as given
    design: Path = DOCUMENT_DESIGN  # the typst page design
    web: Web | None = None
    # A tree for every format (built once): how its links are spelled in a format ("docx", "typst", "html");
    # its `ast.only` parts are kept for their formats. None: the blocks are already for the one format asked.
    spell: Callable[[str, str], str] | None = None


def blocks_for(pub: Publication, fmt: str) -> list[ast.Node]:
    """The publication's blocks as format `fmt` shows them ("word-layout": Word's text, spelled for typst, whose
    layout gives the pages of a Word file's contents when its PDF shows more than its text, as a redline's)."""
    if pub.spell is None:
        return list(pub.blocks)
    return _lowered(list(pub.blocks), fmt, "typst" if fmt == "word-layout" else fmt, pub.spell)


# Nodes with nothing below them to lower: kept as they are (most of a tree: its text runs).
_LEAVES = frozenset({"Str", "Space", "SoftBreak", "LineBreak", "RawInline", "RawBlock", "Code", "CodeBlock",
                     "HorizontalRule", "Math"})


def _lowered(value: list, keep: str, fmt: str, spell: Callable[[str, str], str]) -> list:
    """A copy of `value` (a list inside the tree) with links spelled for `fmt` and `only` parts kept for `keep`;
    what cannot hold a link or an `only` part (text, attributes) is shared with the tree, not copied."""
    out = []
    for item in value:
        if type(item) is dict:
            kind = item["t"]
            if kind in _LEAVES:
                out.append(item)
            elif kind == "Link":
                a, text, (url, title) = item["c"]
                out.append({"t": kind, "c": [a, _lowered(text, keep, fmt, spell), [spell(url, fmt), title]]})
            elif kind == "Div" and ast.ONLY in item["c"][0][1]:
                if keep in dict(item["c"][0][2])["formats"].split():
                    out.extend(_lowered(item["c"][1], keep, fmt, spell))
            elif type(item.get("c")) is list:
                out.append({"t": kind, "c": _lowered(item["c"], keep, fmt, spell)})
            else:
                out.append(item)
        elif type(item) is list:
            out.append(_lowered(item, keep, fmt, spell))
        else:
            out.append(item)
    return out


# -- Word --

def docx(pub: Publication, pages: Mapping[str, int] | Callable[[], Mapping[str, int]] | None = None) -> bytes:
    """The Word file: title page, contents (with `pages`, heading id → page, from a layout), the blocks.

    `pages` may be a function, called once the body is written: a build writes Word's body while typst
    lays out the same document, and waits for its pages only to fill in the contents."""
    # Imported here: a build loads the Word writer (and lxml, zipfile) on the thread that writes Word while
    # typst lays out, not before its first layout (~15 ms of an edit).
    from . import ooxml
    from .word import write_docx

    front = [ast.raw_block("openxml", ooxml.title_page(pub.kind, pub.cover or pub.title, pub.subtitle,
                                                       list(pub.info))),
             ast.raw_block("openxml", ooxml.table_of_contents("Innehåll", list(pub.contents))),
             ast.raw_block("openxml", ooxml.page_break())]
    tree = ast.document([*front, *blocks_for(pub, "docx")], {"lang": ast.meta_string(pub.language)})
    return write_docx(tree, header=pub.header, properties=dict(pub.properties), custom=dict(pub.custom),
                      when=pub.when, tracked=pub.tracked, pages=pages)


def finish_template(data: bytes, pub: Publication) -> bytes:
    """A Word file rendered from a Word template (the missiv): its page header, properties and stable zip."""
    from . import ooxml

    return ooxml.finish_docx(data, header=pub.header, when=pub.when, properties=dict(pub.properties),
                             custom=dict(pub.custom))


# -- PDF --

def typst_source(pub: Publication, parts: str = "typst") -> bytes:
    """The typst source: the page design's fields, the design, the blocks (those `parts` shows)."""
    if pub.letter:
        fields: dict[str, object] = {"title": pub.title, "author": pub.author, "keywords": list(pub.keywords),
                                     "header": pub.header, "footer": pub.footer}
    else:
        fields = {"title": pub.title, "short-title": pub.short_title, "kind": pub.kind, "status-upper": pub.status,
                  "version-iso": pub.dated, "diarienummer": pub.footer, "author": pub.author,
                  "keywords": list(pub.keywords), "draft": pub.draft, "info": [list(pair) for pair in pub.info]}
        if pub.subtitle:
            fields["subtitle"] = pub.subtitle
    design = pub.design.read_text(encoding="utf-8")
    return typst_writer.document(fields, design, blocks_for(pub, parts)).encode("utf-8")


def pdf(pub: Publication) -> bytes:
    """The accessible PDF (PDF/UA-1 and PDF/A-2b)."""
    return compile_pdf(typst_source(pub), pub.when)


def layout(pub: Publication, source: bytes | None = None) -> Layout:
    """The PDF edition laid out (from `source`, when already made for `pub`): the page of each heading now,
    the PDF by `.pdf()`."""
    return Layout(typst_source(pub) if source is None else source, pub.when)


def pdf_and_pages(pub: Publication, source: bytes | None = None) -> tuple[bytes, dict[str, int]]:
    """The PDF and the page of each heading in it, from one layout."""
    laid = layout(pub, source)
    return laid.pdf(), laid.pages


def pages(pub: Publication) -> dict[str, int]:
    """The page of each heading of Word's text as typst lays it out, without writing a PDF: the contents of a
    Word file whose PDF shows more than its text (a redline's opens with a change summary)."""
    return layout_pages(typst_source(pub, "word-layout"))


# -- web --

def html_page(pub: Publication) -> bytes:
    """The web page: the edition's frame, the masthead and the blocks."""
    web = pub.web
    assert web is not None, "a publication without a web page"
    body = html.blocks(blocks_for(pub, "html")) + "\n"
    if web.masthead:
        info = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in pub.info)
        subtitle = f'<p class="subtitle">{escape(pub.subtitle)}</p>' if pub.subtitle else ""
        links = " · ".join(f'<a href="{escape(href)}">{escape(label)}</a>' for label, href in web.downloads)
        downloads = f'<p class="downloads">Ladda ner: {links}</p>' if web.downloads else ""
        main = (f'<p class="kind">{escape(pub.kind)}</p><h1>{escape(pub.title)}</h1>{subtitle}'
                f'<dl class="meta">{info}</dl>{downloads}\n{body}')
    else:
        main = f"<h1>{escape(pub.title)}</h1>\n{body}"
    return page(web.site, title=pub.title, main=main, toc=web.toc, banner=web.banner, body_class=web.body_class,
                home=web.home, assets=web.assets, search_label=web.search_label).encode("utf-8")
