"""Constructors for pandoc's JSON AST (pandoc-api-version 1.23).

Small functions, one per node kind, so the tree builder reads like the
document it builds. Nothing here knows about agreements.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

API_VERSION = [1, 23, 1, 1]
Node = dict[str, Any]
Attr = list[Any]


def attr(ident: str = "", classes: Iterable[str] = (), **kv: str) -> Attr:
    return [ident, list(classes), [[k.replace("_", "-"), v] for k, v in kv.items()]]


def text(value: str) -> list[Node]:
    """Plain text as pandoc inlines: its words as one Str (each run of white space one space between them), and
    a Space for white space at either end.

    Every writer (and pandoc) writes adjacent Str and Space nodes as one run of text, so a run as one node
    is what they write, without a node per word to make and walk again (a document has tens of thousands).
    """
    words = value.split()
    if not words:
        return [{"t": "Space"}] if value else []
    run: Node = {"t": "Str", "c": " ".join(words) if len(words) > 1 or len(words[0]) != len(value) else value}
    if value[0].isspace():
        return [{"t": "Space"}, run, {"t": "Space"}] if value[-1].isspace() else [{"t": "Space"}, run]
    return [run, {"t": "Space"}] if value[-1].isspace() else [run]


def emph(inlines: list[Node]) -> Node:
    return {"t": "Emph", "c": inlines}


def strong(inlines: list[Node]) -> Node:
    return {"t": "Strong", "c": inlines}


def span(inlines: list[Node], a: Attr | None = None) -> Node:
    return {"t": "Span", "c": [a or attr(), inlines]}


def link(inlines: list[Node], url: str, title: str = "", a: Attr | None = None) -> Node:
    return {"t": "Link", "c": [a or attr(), inlines, [url, title]]}


def raw_inline(fmt: str, content: str) -> Node:
    return {"t": "RawInline", "c": [fmt, content]}


def para(inlines: list[Node]) -> Node:
    return {"t": "Para", "c": inlines}


def plain(inlines: list[Node]) -> Node:
    return {"t": "Plain", "c": inlines}


def header(level: int, inlines: list[Node], a: Attr | None = None) -> Node:
    return {"t": "Header", "c": [level, a or attr(), inlines]}


def div(blocks: list[Node], a: Attr | None = None) -> Node:
    return {"t": "Div", "c": [a or attr(), blocks]}


ONLY = "avtal-only"  # a Div whose blocks only some formats show (`only`); the publisher unwraps or drops it


def only(blocks: list[Node], *formats: str) -> Node:
    """Blocks that only `formats` show, in a tree written for every format (e.g. the web's statute texts)."""
    return div(blocks, attr(classes=[ONLY], formats=" ".join(formats)))


def raw_block(fmt: str, content: str) -> Node:
    return {"t": "RawBlock", "c": [fmt, content]}


def bullet_list(items: list[list[Node]]) -> Node:
    return {"t": "BulletList", "c": items}


def ordered_list(items: list[list[Node]]) -> Node:
    return {"t": "OrderedList", "c": [[1, {"t": "Decimal"}, {"t": "Period"}], items]}


def table(caption: list[Node], header_cells: list[list[Node]], rows: list[list[list[Node]]]) -> Node:
    """A simple table: one header row, equal default column widths, left aligned."""

    def cell(blocks: list[Node]) -> list[Any]:
        return [attr(), {"t": "AlignDefault"}, 1, 1, blocks]

    def row(cells: list[list[Node]]) -> list[Any]:
        return [attr(), [cell(c) for c in cells]]

    width = len(header_cells)
    return {
        "t": "Table",
        "c": [
            attr(),
            [None, [plain(caption)] if caption else []],
            [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}] for _ in range(width)],
            [attr(), [row(header_cells)]],
            [[attr(), 0, [], [row(r) for r in rows]]],
            [attr(), []],
        ],
    }


def meta_string(value: str) -> Node:
    return {"t": "MetaString", "c": value}


def meta_inlines(inlines: list[Node]) -> Node:
    return {"t": "MetaInlines", "c": inlines}


def document(blocks: list[Node], meta: dict[str, Node] | None = None) -> Node:
    return {"pandoc-api-version": API_VERSION, "meta": meta or {}, "blocks": blocks}


def stringify(nodes: Any) -> str:
    """The plain text of any AST fragment (like pandoc's stringify)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            kind = node.get("t")
            if kind == "Str":
                out.append(node["c"])
            elif kind in ("Space", "SoftBreak", "LineBreak"):
                out.append(" ")
            elif kind in ("RawInline", "RawBlock"):
                return
            elif "c" in node:
                walk(node["c"])

    walk(nodes)
    return "".join(out)


def written(nodes: list[Node], escape: Callable[[str], str], inline: Callable[[Node], str]) -> str:
    """Inlines as a writer's text: each run of adjacent words and spaces escaped at once (escaping is per
    character, so the result is that of word by word; a document has tens of thousands of words), any
    other node written by `inline`."""
    out: list[str] = []
    words: list[str] = []
    for node in nodes:
        kind = node["t"]
        if kind == "Str":
            words.append(node["c"])
        elif kind == "Space" or kind == "SoftBreak":
            words.append(" ")
        else:
            if words:
                out.append(escape("".join(words)))
                words = []
            out.append(inline(node))
    if words:
        out.append(escape("".join(words)))
    return "".join(out)
