"""Pandoc AST → typst markup, written directly in Python.

Measured on the huvudavtal: pandoc's typst writer takes ~0.2 s per call,
this serializer ~0.02 s for the same tree (bench/build.py). The tree stays
pandoc's, so Word and web are unchanged; only this one writer is ours.
"""

from __future__ import annotations

import re
from typing import Any

from .ast import Node, written

_SPECIAL = re.compile(r"([\\#*_`$@<>\[\]~/=+\-\"'])")
_LINE_START = re.compile(r"^(\d+)\.")


def escape(text: str) -> str:
    """Escape typst markup characters in plain text."""
    return _SPECIAL.sub(r"\\\1", text)


def string(value: str) -> str:
    """A typst string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def inlines(nodes: list[Node]) -> str:
    return written(nodes, escape, inline)


def inline(node: Node) -> str:
    kind, content = node["t"], node.get("c")
    if kind == "Str":
        return escape(content)
    if kind in ("Space", "SoftBreak"):
        return " "
    if kind == "LineBreak":
        return " \\\n"
    if kind == "Emph":
        return f"#emph[{inlines(content)}]"
    if kind == "Strong":
        return f"#strong[{inlines(content)}]"
    if kind == "Link":
        _, text, (url, _) = content
        target = f"<{url[1:]}>" if url.startswith("#") else string(url)
        return f"#link({target})[{inlines(text)}]"
    if kind == "Span":
        (ident, classes, attrs), children = content
        body = f"#[{inlines(children)}]"
        if "insertion" in classes:
            body = (f'#text(fill: rgb("#0b6b2e"))[{_spoken("[infogat:")}#underline(stroke: 1pt)[{inlines(children)}]'
                    f'{_spoken("]")}]')
        elif "deletion" in classes:
            body = (f'#text(fill: rgb("#a30d22"))[{_spoken("[struket:")}#strike(stroke: 1pt)[{inlines(children)}]'
                    f'{_spoken("]")}]')
        elif "note" in classes:
            body = f'#text(size: 8.5pt, fill: rgb("#6b4e00"), style: "italic")[{inlines(children)}]'
        if ident and len(children) == 1 and children[0]["t"] in ("Strong", "Emph"):
            return inline(children[0]) + f"<{ident}>"
        return body + (f"<{ident}>" if ident else "")
    if kind == "RawInline":
        return content[1] if content[0] == "typst" else ""
    if kind == "Code":
        return f"#raw({string(content[1])})"
    if kind == "Quoted":
        return "”" + inlines(content[1]) + "”"
    raise ValueError(f"typst writer: unsupported inline {kind}")


def _spoken(text: str) -> str:
    """Text a screen reader reads and copy-paste keeps, but the eye does not see ('[infogat: …]').

    Colour and underline/strike alone do not tell assistive technology which words are new
    or old. The marker is real, tagged text (not an artifact), so PDF/UA-1 holds; it is
    transparent and squeezed to 6 % width in a box, which keeps it on the text's line in
    reading order for position-based extractors (pdftotext) too.
    """
    if not text.endswith("]"):
        text += "\u00a0"  # a space the box keeps, so words are not run together
    return f"#box(scale(x: 6%, reflow: true)[#text(fill: rgb(0, 0, 0, 0))[{escape(text)}]])"


def _line_safe(text: str) -> str:
    """A paragraph must not start like a list item or heading ('1.' would become a numbered list)."""
    return _LINE_START.sub(r"\1\\.", text)


def blocks(nodes: list[Node]) -> str:
    return "".join(block(n) for n in nodes)


def block(node: Node) -> str:
    kind, content = node["t"], node.get("c")
    if kind in ("Para", "Plain"):
        return _line_safe(inlines(content)) + "\n\n"
    if kind == "Header":
        level, (ident, classes, _), text = content
        label = f" <{ident}>" if ident else ""
        return f"{'=' * level} {inlines(text)}{label}\n\n"
    if kind in ("BulletList", "OrderedList"):
        items = content if kind == "BulletList" else content[1]
        marker = "-" if kind == "BulletList" else "+"
        lines = []
        for item in items:
            body = blocks(item).strip().replace("\n\n", "\n  ")
            lines.append(f"{marker} {body}")
        return "\n".join(lines) + "\n\n"
    if kind == "Div":
        (ident, classes, _), children = content
        look = '(stroke: (left: 2.5pt + rgb("#f2a900")), inset: (left: 7pt), outset: (left: 9pt))' \
            if "changed" in classes else ""
        return f"#block{look}[\n{blocks(children)}]{f'<{ident}>' if ident else ''}\n\n"
    if kind == "Table":
        return _table(content)
    if kind == "RawBlock":
        return content[1] + "\n\n" if content[0] == "typst" else ""
    if kind == "HorizontalRule":
        return "#line(length: 100%)\n\n"
    raise ValueError(f"typst writer: unsupported block {kind}")


def _cell(cell: list[Any]) -> str:
    return "[" + blocks(cell[4]).strip() + "]"


def _table(content: list[Any]) -> str:
    _, caption, colspecs, head, bodies, _ = content
    header = [_cell(c) for row in head[1] for c in row[1]]
    rows = [_cell(c) for body in bodies for row in body[3] for c in row[1]]
    caption_text = blocks(caption[1]).strip()
    table = (f"table(\n  columns: {len(colspecs)},\n  table.header({', '.join(header)}),\n  "
             + ",\n  ".join(rows) + ",\n)")
    if caption_text:
        return f"#figure(kind: table, caption: [{caption_text}], {table})\n\n"
    return f"#{table}\n\n"


def value(data: Any) -> str:
    """A Python value as a typst literal (for the template's `meta` dictionary)."""
    if isinstance(data, bool):
        return "true" if data else "false"
    if data is None:
        return "none"
    if isinstance(data, (int, float)):
        return str(data)
    if isinstance(data, str):
        return string(data)
    if isinstance(data, (list, tuple)):
        return "(" + "".join(value(v) + ", " for v in data) + ")"
    if isinstance(data, dict):
        return "(" + ", ".join(f"{k.replace('_', '-')}: {value(v)}" for k, v in data.items()) + ",)" if data else "(:)"
    raise TypeError(f"no typst literal for {type(data).__name__}")


def document(meta: dict[str, Any], template: str, body: list[Node]) -> str:
    """The complete typst source: metadata, the template, then the body."""
    return f"#let meta = {value(meta)}\n{template}\n{blocks(body)}"
