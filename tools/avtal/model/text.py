"""Clause text: a small markup parsed into a typed tree.

The markup is a strict subset of what writers already know (paragraphs,
'- ' bullets, *emphasis*, [links](https://…)) plus four markers the model
must understand: {ref:…}, {doc:…}, {term:…} and {lag:…}. Parsing it here,
not in pandoc, lets the model validate every reference, count words, and
diff text word by word; renderers only walk the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Iterator, Union

MARKERS = ("ref", "doc", "term", "lag")


# ---- inline nodes ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Str:
    """Plain text (words, spaces and punctuation)."""

    text: str


@dataclass(frozen=True, slots=True)
class Emph:
    children: tuple["Inline", ...]


@dataclass(frozen=True, slots=True)
class Strong:
    children: tuple["Inline", ...]


@dataclass(frozen=True, slots=True)
class Ref:
    """A cross-reference to a clause by id; `doc` is set when written as {ref:DOC:ID}."""

    target: str
    doc: str | None = None


@dataclass(frozen=True, slots=True)
class DocRef:
    """A reference to a whole document."""

    doc: str


@dataclass(frozen=True, slots=True)
class TermUse:
    """A use of a glossary term; `form` is the inflected form shown, if not the term itself."""

    term: str
    form: str | None = None


@dataclass(frozen=True, slots=True)
class Cite:
    """A statute reference: law id, and optionally chapter and section ('8 a')."""

    law: str
    chapter: int | None = None
    section: str | None = None

    @property
    def pinpoint(self) -> str:
        """'16 kap. 4 §', '8 a §', '16 kap.' or '' (whole law)."""
        parts = []
        if self.chapter is not None:
            parts.append(f"{self.chapter} kap.")
        if self.section is not None:
            parts.append(f"{self.section} §")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Link:
    """An external link."""

    url: str
    children: tuple["Inline", ...]


Inline = Union[Str, Emph, Strong, Ref, DocRef, TermUse, Cite, Link]


# ---- block nodes ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Para:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True, slots=True)
class OrderedList:
    items: tuple[tuple[Inline, ...], ...]


Block = Union[Para, BulletList, OrderedList]


@dataclass(frozen=True, slots=True)
class TextIssue:
    """A markup problem; `needle` is the source text that locates it."""

    message: str
    needle: str


# ---- parsing --------------------------------------------------------------

_BULLET = re.compile(r"^[-*] +")
_NUMBERED = re.compile(r"^\d+[.)] +")
_INLINE = re.compile(
    r"\{(?P<kind>[a-z]+):(?P<arg>[^{}\n]*)\}"  # {ref:…} {doc:…} {term:…} {lag:…}
    r"|\*\*(?P<strong>[^*]+?)\*\*"
    r"|\*(?P<emph>[^*\s](?:[^*]*?[^*\s])?)\*"
    r"|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)"
)
_UNCLOSED = re.compile(r"\{(ref|doc|term|lag):[^}]*$|\{(ref|doc|term|lag):[^}]*\{")
_CITE = re.compile(
    r"^(?P<law>[a-z0-9-]+)"
    r"(?:\s+(?P<chapter>\d+)\s*kap\.)?"
    r"(?:\s+(?P<section>\d+(?:\s?[a-z])?)\s*§)?\s*$"
)
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)*$")


def parse_blocks(text: str) -> tuple[tuple[Block, ...], list[TextIssue]]:
    """Parse a text field into blocks; markup problems are returned, never raised."""
    issues: list[TextIssue] = []
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = [line.rstrip() for line in chunk.split("\n") if line.strip()]
        if lines:
            blocks.extend(_parse_chunk(lines, issues))
    return tuple(blocks), issues


def _parse_chunk(lines: list[str], issues: list[TextIssue]) -> Iterator[Block]:
    para: list[str] = []
    items: list[list[str]] = []
    kind: type | None = None

    def flush_list() -> Iterator[Block]:
        nonlocal items, kind
        if items:
            parsed = tuple(parse_inlines(" ".join(item), issues) for item in items)
            yield BulletList(parsed) if kind is BulletList else OrderedList(parsed)
        items, kind = [], None

    for raw in lines:
        line = raw.strip()
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet or numbered:
            if para:
                yield Para(parse_inlines(" ".join(para), issues))
                para = []
            this = BulletList if bullet else OrderedList
            if kind is not None and this is not kind:
                yield from flush_list()
            kind = this
            items.append([line[(bullet or numbered).end():]])  # type: ignore[union-attr]
        elif items and raw[:1] in (" ", "\t"):
            items[-1].append(line)  # continuation of a list item
        else:
            yield from flush_list()
            para.append(line)
    yield from flush_list()
    if para:
        yield Para(parse_inlines(" ".join(para), issues))


def parse_inlines(text: str, issues: list[TextIssue]) -> tuple[Inline, ...]:
    """Parse one paragraph or cell of inline markup."""
    text = " ".join(text.split())  # runs of white space (what the regex \s matches, as str.split knows it) as one space
    for match in _UNCLOSED.finditer(text):
        issues.append(TextIssue(f"unclosed marker '{match.group(0)[:30]}': expected a closing '}}'", match.group(0)[:20]))
    out: list[Inline] = []
    pos = 0
    for match in _INLINE.finditer(text):
        if match.start() > pos:
            out.append(Str(text[pos:match.start()]))
        node = _inline_node(match, issues)
        out.append(node if node is not None else Str(match.group(0)))
        pos = match.end()
    if pos < len(text):
        out.append(Str(text[pos:]))
    return _merge(out)


def _merge(nodes: list[Inline]) -> tuple[Inline, ...]:
    merged: list[Inline] = []
    for node in nodes:
        if isinstance(node, Str) and merged and isinstance(merged[-1], Str):
            merged[-1] = Str(merged[-1].text + node.text)
        else:
            merged.append(node)
    return tuple(merged)


def _inline_node(match: re.Match[str], issues: list[TextIssue]) -> Inline | None:
    whole = match.group(0)
    if match.group("strong") is not None:
        return Strong(parse_inlines(match.group("strong"), issues))
    if match.group("emph") is not None:
        return Emph(parse_inlines(match.group("emph"), issues))
    if match.group("url") is not None:
        url = match.group("url")
        if not url.startswith(("https://", "http://", "mailto:")):
            issues.append(TextIssue(f"link target '{url}' is not an address: expected https://…", whole))
        return Link(url, parse_inlines(match.group("label"), issues))
    kind, arg = match.group("kind"), match.group("arg").strip()
    if kind not in MARKERS:
        guess = get_close_matches(kind, MARKERS, n=1)
        hint = f"; did you mean '{{{guess[0]}:'?" if guess else ""
        issues.append(TextIssue(f"unknown marker '{{{kind}:': expected one of {{ref:, {{doc:, {{term:, {{lag:{hint}", whole))
        return None
    if kind == "lag":
        cite = _CITE.match(arg)
        if not cite:
            issues.append(TextIssue(
                f"malformed statute reference '{whole}': expected {{lag:LAW}}, {{lag:LAW 16 kap.}}, "
                "{lag:LAW 16 kap. 4 §} or {lag:LAW 8 a §}", whole))
            return None
        chapter = cite.group("chapter")
        return Cite(cite.group("law"), int(chapter) if chapter else None, cite.group("section"))
    if kind == "term":
        term, _, form = arg.partition("|")
        term, form = term.strip(), form.strip()
        if not _ID.match(term):
            issues.append(TextIssue(f"malformed term id '{term}' in '{whole}': expected e.g. {{term:vard-i-hemmet}}", whole))
            return None
        if _ and not form:
            issues.append(TextIssue(f"empty form after '|' in '{whole}': expected {{term:ID|böjd form}}", whole))
        return TermUse(term, form or None)
    if kind == "doc":
        if not _ID.match(arg):
            issues.append(TextIssue(f"malformed document id '{arg}' in '{whole}'", whole))
            return None
        return DocRef(arg)
    doc, _, target = arg.rpartition(":")
    if not _ID.match(target) or (doc and not _ID.match(doc)):
        issues.append(TextIssue(
            f"malformed reference '{whole}': expected {{ref:CLAUSE-ID}} or {{ref:DOC:CLAUSE-ID}} with ids like "
            "'vard-i-hemmet.beslut'", whole))
        return None
    return Ref(target, doc or None)


# ---- walking --------------------------------------------------------------

def walk_inlines(inlines: tuple[Inline, ...]) -> Iterator[Inline]:
    """Every inline node, depth first (the single walker the checks use)."""
    for node in inlines:
        yield node
        children = getattr(node, "children", None)
        if children:
            yield from walk_inlines(children)


def block_inlines(blocks: tuple[Block, ...]) -> Iterator[tuple[Inline, ...]]:
    """Each run of inlines in a block sequence: paragraphs and list items."""
    for block in blocks:
        if isinstance(block, Para):
            yield block.inlines
        else:
            yield from block.items
