"""Small pieces of the report's tree: text, tables sized to their words, a party's free text, charts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from ...model.remiss import DecidedBy
from ...render import ast, wording
from ..record.answers import FLAG_LETTER
from . import charts


def _t(text: str) -> list[ast.Node]:
    """Text as ONE pandoc Str (spaces inside): the same output as a Str and a Space per word, in a far smaller
    tree. Measured on the 290 x 40 round: pandoc's docx writer 14.2 s → 10.1 s (html 18.6 s → 5.3 s)."""
    text = " ".join(text.split())
    return [{"t": "Str", "c": text}] if text else []


def _p(text: str) -> ast.Node:
    return ast.para(_t(text))


def _cells(values: list[Any]) -> list[list[ast.Node]]:
    return [[ast.plain(v if isinstance(v, list) else _t(str(v)))] for v in values]


# Word's A4 text width and a cell's side padding in points (templates/reference.docx: 11 pt Arial).
TEXT_WIDTH_PT, CELL_PADDING_PT, FONT_PT = 453.5, 10.8, 11

# Advance widths (1/1000 em) of Helvetica Bold, whose metrics Arial Bold (and LibreOffice's Liberation Sans)
# share: bold, the widest the table style sets, so a header word fits too. Other characters count as 611.
_GLYPH_WIDTHS = {ch: width for chars, width in (
    ("ijl.,:;!'| ", 278), ('ft()-/[]I"', 333), ("r", 389), ("z*", 500), ("acesvxykåäâàáéèëê0123456789#$–?_J", 556),
    ("EPSVXY", 667), ("ABCDHKNRUÅÄÉ&", 722), ("GOQwÖ", 778), ("M%", 833), ("m", 889), ("W", 944), ("—@", 1000))
    for ch in chars}


def _width_pt(text: str) -> float:
    """The width of `text` in the table's font, in points, with 20 % to spare: where Arial is missing,
    LibreOffice sets DejaVu Sans (Bold), up to a sixth wider."""
    return sum(_GLYPH_WIDTHS.get(ch, 611) for ch in text) * FONT_PT / 1000 * 1.2


def _received(state: str, received: Any) -> str:
    """An answer's state and the day it came in, in one cell ('Svarat i tid, inkom 2025-05-02')."""
    return f"{state}, inkom {received}" if received else state


def _table(caption: str, header: list[str], rows: list[list[Any]]) -> ast.Node:
    """A table across the text width, columns sized from their content (Word would otherwise shrink it)."""
    node = ast.table(_t(caption), _cells(header), [_cells(r) for r in rows])
    texts = [[ast.stringify(v) if isinstance(v, list) else str(v) for v in row] for row in [header, *rows]]
    widths = column_widths(texts)
    node["c"][2] = [[{"t": "AlignDefault"}, {"t": "ColWidth", "c": w}] for w in widths]
    return node


def column_widths(rows: list[list[str]]) -> list[float]:
    """Column widths as fractions of the text width, laid out the way typst and browsers size auto columns.

    Each column gets at least its longest word (so Word never breaks a word inside a cell, as in
    'Kommunalförbu|nd'), and the room left is shared in proportion to how much more its longest
    cell would need to stand on one line.
    """
    columns = list(zip(*rows))
    least = [CELL_PADDING_PT + max((_width_pt(word) for text in col for word in text.split()), default=0)
             for col in columns]
    most = [max(low, CELL_PADDING_PT + max(_width_pt(text) for text in col)) for col, low in zip(columns, least)]
    if sum(most) <= TEXT_WIDTH_PT:
        widths = most
    elif sum(least) >= TEXT_WIDTH_PT:
        widths = least
    else:
        room = (TEXT_WIDTH_PT - sum(least)) / (sum(most) - sum(least))
        widths = [low + (high - low) * room for low, high in zip(least, most)]
    return [w / sum(widths) for w in widths]


_PARAGRAPHS = re.compile(r"\n\s*\n")

_BULLETS = ("- ", "• ", "* ")


def text_blocks(text: str) -> list[ast.Node]:
    """A party's free text as paragraphs and bullet lists; nothing in it is read as markup."""
    out: list[ast.Node] = []
    for chunk in _PARAGRAPHS.split(text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line[:2] in _BULLETS for line in lines):
            out.append(ast.bullet_list([[ast.plain(_t(line[2:]))] for line in lines]))
        else:
            out.append(ast.para(_t(" ".join(lines))))
    return out


_names = wording.listing


def _flag_text(flag: str) -> str:
    """A flag as a sentence (the importer writes them in Swedish, lower case)."""
    if flag == FLAG_LETTER:
        return "Brev som ännu inte är uppdelat i enskilda synpunkter"
    return flag[:1].upper() + flag[1:]


@dataclass(frozen=True)
class Planned:
    """A chart the tree shows, drawn when its pixels are needed."""

    name: str
    caption: str
    alt: str
    draw: Callable[[], charts.Chart]


def _figure(chart: Planned) -> ast.Node:
    """A chart: an image with alt text; its source is resolved per format (`_lower`)."""
    image = {"t": "Image", "c": [ast.attr(classes=["chart"]), _t(chart.alt), [f"chart:{chart.name}", ""]]}
    return {"t": "Figure", "c": [ast.attr(f"rs-figur-{chart.name}"), [None, [ast.plain(_t(chart.caption))]],
                                 [ast.plain([image])]]}


OTHER_KIND = {"samverkansorgan": "Samverkansorgan", "brukarorganisation": "Brukarorganisation",
              "anhörigorganisation": "Anhörigorganisation"}


def _decision(decided: DecidedBy | None) -> str:
    """'Kommunstyrelsen, 22 april 2025, § 45' (what is known of it), or that it is not stated."""
    if decided is None:
        return "Uppgift saknas"
    return ", ".join(x for x in (decided.body, wording.long_date(decided.date) if decided.date else None,
                                 decided.paragraph) if x)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
