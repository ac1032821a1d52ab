"""Word-by-word diff of clause text, on the model's inline tree.

Text is cut into whole words (a Swedish compound, a hyphenated word, a
suspended 'hälso-' or an SFS number '2017:30' is one token), single
punctuation marks, and atomic markers (a reference, a term use, a citation,
a link). A reference is compared by its target id, never by its number, so
a renumbering elsewhere is not a change here; a term use is compared by the
words it shows, so a renamed term is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Callable, Iterable, Literal

from ..model.text import Cite, DocRef, Emph, Inline, Link, Ref, Str, Strong, TermUse

_TOKEN = re.compile(r"\w+(?:[-:.,/]\w+)*-?|[^\w\s]")
Op = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class Token:
    """One comparable unit: `key` decides equality, `node` is what gets rendered."""

    key: tuple
    node: Inline
    space: bool  # followed by white space


def tokens(inlines: Iterable[Inline], shown: Callable[[TermUse], str]) -> list[Token]:
    """Tokens of a run of inlines; `shown` gives the words a term use displays."""
    out: list[Token] = []
    _collect(tuple(inlines), shown, (), out)
    _mark_spaces(inlines, out)
    return out


def _collect(inlines: tuple[Inline, ...], shown: Callable[[TermUse], str], style: tuple[str, ...],
             out: list[Token]) -> None:
    for node in inlines:
        if isinstance(node, Str):
            for match in _TOKEN.finditer(node.text):
                word = match.group(0)
                out.append(Token(("w", word, style), _styled(Str(word), style), False))
        elif isinstance(node, Emph):
            _collect(node.children, shown, style + ("emph",), out)
        elif isinstance(node, Strong):
            _collect(node.children, shown, style + ("strong",), out)
        else:
            out.append(Token(_atom_key(node, shown), _styled(node, style), False))


def _atom_key(node: Inline, shown: Callable[[TermUse], str]) -> tuple:
    if isinstance(node, Ref):
        return ("ref", node.target)
    if isinstance(node, DocRef):
        return ("doc", node.doc)
    if isinstance(node, TermUse):
        return ("term", node.term, shown(node))
    if isinstance(node, Cite):
        return ("lag", node.law, node.chapter, node.section)
    if isinstance(node, Link):
        return ("link", node.url, node.children)
    raise TypeError(f"unknown inline {node!r}")


def _styled(node: Inline, style: tuple[str, ...]) -> Inline:
    for kind in reversed(style):
        node = Emph((node,)) if kind == "emph" else Strong((node,))
    return node


def _mark_spaces(inlines: Iterable[Inline], out: list[Token]) -> None:
    """Set `space` on tokens followed by white space in the original text (across node boundaries)."""
    flat = "".join(_plain(n) for n in inlines)
    position = 0
    for i, token in enumerate(out):
        text = _plain(token.node)
        found = flat.find(text, position)
        if found < 0:
            continue
        position = found + len(text)
        out[i] = Token(token.key, token.node, position < len(flat) and flat[position].isspace())


def _plain(node: Inline) -> str:
    if isinstance(node, Str):
        return node.text
    if isinstance(node, (Emph, Strong, Link)):
        return "".join(_plain(c) for c in node.children)
    return "\x00"  # an atom: matched by position only


def diff(old: list[Token], new: list[Token]) -> list[tuple[Op, list[Token]]]:
    """Runs of equal, deleted and inserted tokens (deletions before insertions in a replacement)."""
    matcher = SequenceMatcher(None, [t.key for t in old], [t.key for t in new], autojunk=False)
    runs: list[tuple[Op, list[Token]]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("equal", new[j1:j2]))
        else:
            if i2 > i1:
                runs.append(("delete", old[i1:i2]))
            if j2 > j1:
                runs.append(("insert", new[j1:j2]))
    return runs


def similarity(old: list[Token], new: list[Token]) -> float:
    return SequenceMatcher(None, [t.key for t in old], [t.key for t in new], autojunk=False).ratio()
