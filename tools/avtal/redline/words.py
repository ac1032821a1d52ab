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
from difflib import SequenceMatcher
from typing import Callable, Iterable, Literal, NamedTuple

from ..model.text import Cite, DocRef, Emph, Inline, Link, Ref, Str, Strong, TermUse

_TOKEN = re.compile(r"\w+(?:[-:.,/]\w+)*-?|[^\w\s]")
Op = Literal["equal", "insert", "delete"]


class Token(NamedTuple):
    """One comparable unit: `key` decides equality, `node` is what gets rendered.

    A named tuple, not a frozen dataclass: a large redline makes tens of thousands, and a tuple is
    built several times faster.
    """

    key: tuple
    node: Inline
    space: bool  # followed by white space


# A word's key and node by style and text: shared by every token of that word (they are immutable), so a
# large redline makes one of each per distinct word, not per occurrence.
WordCache = dict[tuple[str, ...], dict[str, tuple[tuple, Inline]]]


def tokens(inlines: Iterable[Inline], shown: Callable[[TermUse], str], words: WordCache | None = None) -> list[Token]:
    """Tokens of a run of inlines; `shown` gives the words a term use displays; `words` may be kept between calls."""
    inlines = tuple(inlines)
    found: list[tuple[tuple, Inline]] = []
    texts: list[str] = []
    _collect(inlines, shown, (), found, texts, {} if words is None else words)
    return _with_spaces(inlines, found, texts)


def _collect(inlines: tuple[Inline, ...], shown: Callable[[TermUse], str], style: tuple[str, ...],
             out: list[tuple[tuple, Inline]], texts: list[str], words: WordCache) -> None:
    """(key, node) and the plain text of each token, in order; the space after each is found afterwards."""
    for node in inlines:
        if isinstance(node, Str):
            known = words.setdefault(style, {})
            for word in _TOKEN.findall(node.text):
                shared = known.get(word)
                if shared is None:
                    shared = known[word] = (("w", word, style), _styled(Str(word), style))
                out.append(shared)
                texts.append(word)
        elif isinstance(node, Emph):
            _collect(node.children, shown, style + ("emph",), out, texts, words)
        elif isinstance(node, Strong):
            _collect(node.children, shown, style + ("strong",), out, texts, words)
        else:
            out.append((_atom_key(node, shown), _styled(node, style)))
            texts.append(_plain(node))


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


def _with_spaces(inlines: tuple[Inline, ...], found: list[tuple[tuple, Inline]], texts: list[str]) -> list[Token]:
    """Tokens with `space` set where white space follows them in the original text (across node boundaries)."""
    flat = "".join(_plain(n) for n in inlines)
    end = len(flat)
    position = 0
    out: list[Token] = []
    for (key, node), text in zip(found, texts):
        at = flat.find(text, position)
        if at < 0:
            out.append(Token(key, node, False))
            continue
        position = at + len(text)
        out.append(Token(key, node, position < end and flat[position].isspace()))
    return out


def _plain(node: Inline) -> str:
    if isinstance(node, Str):
        return node.text
    if isinstance(node, (Emph, Strong, Link)):
        return "".join(_plain(c) for c in node.children)
    return "\x00"  # an atom: matched by position only


def match_words(old: list[Token], new: list[Token]) -> SequenceMatcher:
    """The word matching of two runs; `similarity` and `diff` of the same pair can share it."""
    return SequenceMatcher(None, [t.key for t in old], [t.key for t in new], autojunk=False)


def diff(old: list[Token], new: list[Token], matched: SequenceMatcher | None = None) -> list[tuple[Op, list[Token]]]:
    """Runs of equal, deleted and inserted tokens (deletions before insertions in a replacement).

    Each token carries the space after it. Equal tokens show the new spacing, so where
    the gap before a change differs between the versions ('punkt som' → 'punkt, som')
    that gap is itself deleted or inserted: accepting every change then gives the new
    text and rejecting every change the old one, space for space.
    """
    if old is new:  # a unit shown as it is (unchanged, or wholly inserted or deleted): nothing to match
        return [("equal", list(new))] if new else []
    runs: list[tuple[Op, list[Token]]] = []
    gap: tuple[bool, bool] | None = None  # (old, new) space after the equal token before a change
    for tag, i1, i2, j1, j2 in (matched or match_words(old, new)).get_opcodes():
        if tag == "equal":
            equal = list(new[j1:j2])
            gap = (old[i2 - 1].space, new[j2 - 1].space)
            if gap[0] != gap[1]:
                equal[-1] = Token(equal[-1].key, equal[-1].node, False)
            runs.append(("equal", equal))
            continue
        deleted, inserted = list(old[i1:i2]), list(new[j1:j2])
        if gap is not None and gap[0] != gap[1]:
            runs.extend(_regap(gap, deleted, inserted))
        else:
            runs.extend((op, toks) for op, toks in (("delete", deleted), ("insert", inserted)) if toks)
        gap = None
    return runs


_SPACE = Str("")  # renders as nothing; with space=True, as one space


def _space() -> Token:
    return Token(("space",), _SPACE, True)


def _regap(gap: tuple[bool, bool], deleted: list[Token], inserted: list[Token]) -> list[tuple[Op, list[Token]]]:
    """A change after a gap that only one version has: the gap goes into the deletion or insertion."""
    old_space, new_space = gap
    if not deleted and inserted[-1].space == old_space:  # 'punkt som' → 'punkt, som': insert ',' only
        shown = ([_space()] if new_space else []) + inserted[:-1] + [Token(inserted[-1].key, inserted[-1].node, False)]
        return [("insert", shown)] + ([("equal", [_space()])] if old_space else [])
    if not inserted and deleted[-1].space == new_space:  # 'A B C' → 'A B': delete ' C'
        shown = ([_space()] if old_space else []) + deleted[:-1] + [Token(deleted[-1].key, deleted[-1].node, False)]
        return [("delete", shown)] + ([("equal", [_space()])] if new_space else [])
    deleted = ([_space()] if old_space else []) + deleted
    inserted = ([_space()] if new_space else []) + inserted
    return [(op, toks) for op, toks in (("delete", deleted), ("insert", inserted)) if toks]


def similarity(old: list[Token], new: list[Token]) -> float:
    return match_words(old, new).ratio()
