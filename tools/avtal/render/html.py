"""Pandoc tree → HTML, written directly: the one HTML writer of every web page.

The markup is what pandoc's html5 writer gives these nodes (tests compare the two on every document),
without its cost: pandoc took 2.9 s (5 s with the other writers running) for the remissammanställning
of a 290 x 40 round, most of it reading the JSON tree, where this writer takes ~0.3 s; for the five
documents it was a subprocess and a JSON encoding per page. Headings go one level down: a page's
h1 is its title. Raw blocks and inlines pass through when they are HTML and are dropped otherwise
(the Word title page, a chart's typst figure).
"""

from __future__ import annotations

from html import escape
from typing import Any

from . import ast

# Attributes HTML knows; others are written as data-* (a tracked change's author and date), as pandoc does.
_HTML_ATTRIBUTES = {"width", "height", "title", "lang", "dir", "style", "role", "datetime"}


def _attrs(a: ast.Attr, class_first: bool = False) -> str:
    """id, class (pandoc writes a heading's class first) and the other attributes."""
    ident, classes, kv = a
    ident_attr = f' id="{escape(ident)}"' if ident else ""
    class_attr = f' class="{escape(" ".join(classes))}"' if classes else ""
    out = class_attr + ident_attr if class_first else ident_attr + class_attr
    for key, value in kv:
        name = key if key in _HTML_ATTRIBUTES or key.startswith(("data-", "aria-")) else f"data-{key}"
        out += f' {escape(name)}="{escape(value)}"'
    return out


def inlines(nodes: list[ast.Node]) -> str:
    return ast.written(nodes, lambda text: escape(text, quote=False), inline)


def inline(node: ast.Node) -> str:
    kind, c = node["t"], node.get("c")
    if kind == "Str":
        return escape(c, quote=False)
    if kind in ("Space", "SoftBreak"):
        return " "
    if kind == "LineBreak":
        return "<br />"
    if kind in ("Strong", "Emph"):
        tag = "strong" if kind == "Strong" else "em"
        return f"<{tag}>{inlines(c)}</{tag}>"
    if kind == "Span":
        return f"<span{_attrs(c[0])}>{inlines(c[1])}</span>"
    if kind == "Link":
        url, title = c[2]
        extra = f' title="{escape(title)}"' if title else ""
        return f'<a href="{escape(url)}"{extra}{_attrs(c[0])}>{inlines(c[1])}</a>'
    if kind == "Image":
        ident, classes, kv = c[0]
        return f'<img src="{escape(c[2][0])}"{_attrs([ident, classes, kv])} alt="{escape(ast.stringify(c[1]))}" />'
    if kind == "RawInline":
        return c[1] if c[0] == "html" else ""
    if kind == "Code":
        return f"<code>{escape(c[1], quote=False)}</code>"
    if kind == "Quoted":
        return f"”{inlines(c[1])}”"
    raise ValueError(f"html writer: unsupported inline {kind}")


def blocks(nodes: list[ast.Node], shift: int = 1) -> str:
    """Blocks as HTML, one per line; headings `shift` levels down."""
    return "\n".join(part for part in (block(node, shift) for node in nodes) if part)


def block(node: ast.Node, shift: int = 1) -> str:
    kind, c = node["t"], node.get("c")
    if kind == "Para":
        return f"<p>{inlines(c)}</p>"
    if kind == "Plain":
        return inlines(c)
    if kind == "Header":
        level = min(c[0] + shift, 6)
        return f"<h{level}{_attrs(c[1], class_first=True)}>{inlines(c[2])}</h{level}>"
    if kind == "Div":
        return _div(c[0], c[1], shift)
    if kind == "BulletList":
        return "<ul>\n" + "\n".join(f"<li>{blocks(item, shift)}</li>" for item in c) + "\n</ul>"
    if kind == "OrderedList":
        (start, style, _), items = c
        number = f' start="{start}"' if start != 1 else ""
        kind_attr = {"LowerAlpha": "a", "UpperAlpha": "A", "LowerRoman": "i", "UpperRoman": "I"}.get(style["t"], "1")
        return f'<ol{number} type="{kind_attr}">\n' + "\n".join(f"<li>{blocks(item, shift)}</li>" for item in items) \
            + "\n</ol>"
    if kind == "Figure":
        caption = blocks(c[1][1], shift)
        return f"<figure{_attrs(c[0])}>\n{blocks(c[2], shift)}\n<figcaption>{caption}</figcaption>\n</figure>"
    if kind == "Table":
        return _table(c, shift)
    if kind == "RawBlock":
        return c[1] if c[0] == "html" else ""
    if kind == "BlockQuote":
        return f"<blockquote>\n{blocks(c, shift)}\n</blockquote>"
    if kind == "HorizontalRule":
        return "<hr />"
    raise ValueError(f"html writer: unsupported block {kind}")


def _div(a: ast.Attr, children: list[ast.Node], shift: int) -> str:
    """A Div; one without an id that starts with a heading is that heading's <section>, as pandoc writes it:
    the heading's id moves to the section, its classes are copied (and a section without attributes is left out)."""
    ident, classes, kv = a
    if ident or not children or children[0]["t"] != "Header":
        return f"<div{_attrs(a)}>\n{blocks(children, shift)}\n</div>"
    level, (heading_id, heading_classes, heading_kv), text = children[0]["c"]
    inner = blocks([ast.header(level, text, ["", heading_classes, heading_kv]), *children[1:]], shift)
    section = [heading_id, [*heading_classes, *classes], kv]
    if not (section[0] or section[1] or section[2]):
        return inner
    return f"<section{_attrs(section)}>\n{inner}\n</section>"


def _table(c: list[Any], shift: int) -> str:
    attr, caption, colspecs, head, bodies, _ = c

    def row(cells: list[Any], tag: str) -> str:
        return "<tr>\n" + "\n".join(f"<{tag}>{blocks(cell[4], shift)}</{tag}>" for cell in cells) + "\n</tr>"

    widths = [spec[1].get("c") for spec in colspecs]
    cols = "".join(f'<col style="width: {int(w * 100)}%" />\n' for w in widths if w) if all(widths) else ""
    # Widths are fractions of the page; pandoc states the table's own only when they add up to less.
    width = f' style="width:{round(sum(widths) * 100)}%;"' if cols and sum(widths) < 1 else ""
    parts = [f"<table{_attrs(attr)}{width}>"]
    if caption[1]:
        parts.append(f"<caption>{blocks(caption[1], shift)}</caption>")
    if cols:
        parts.append(f"<colgroup>\n{cols}</colgroup>")
    if head[1]:
        parts.append("<thead>\n" + "\n".join(row(r[1], "th") for r in head[1]) + "\n</thead>")
    parts.append("<tbody>\n" + "\n".join(row(r[1], "td") for body in bodies for r in body[3]) + "\n</tbody>")
    return "\n".join(parts) + "\n</table>"
