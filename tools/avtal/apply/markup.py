"""Edited text back into our markup, keeping what the source meant.

A unit of text (a paragraph, list item or table cell) renders as a row of *atoms*: plain
text, the invisible markup of emphasis and links, and markers ({ref:…}, {term:…},
{lag:…}, {doc:…}) that render as words. The edited text is compared with the rendered
text word by word; each atom takes its share of the new words. A marker whose words are
unchanged stays a marker; a term use whose words are only inflected stays a term use
with that form; anything else becomes plain text and the person applying is told. Plain
text that names an existing clause ("avsnitt 4.2") is written as a {ref:…}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ..model.corpus import Corpus
from ..model.text import Cite, DocRef, Emph, Inline, Link, Ref, Str, Strong, TermUse, parse_inlines
from ..render.wording import plain, ref_label


@dataclass
class Atom:
    """A piece of a unit: `shown` as rendered, `source` as written; `node` for a marker."""

    shown: str
    source: str
    node: Inline | None = None


@dataclass
class Rewrite:
    """The new markup of a unit and what the person applying should know about it."""

    source: str
    notes: list[str] = field(default_factory=list)


def marker_source(node: Inline) -> str:
    """How a marker is written in the sources."""
    if isinstance(node, Ref):
        return f"{{ref:{node.doc + ':' if node.doc else ''}{node.target}}}"
    if isinstance(node, TermUse):
        return f"{{term:{node.term}{'|' + node.form if node.form else ''}}}"
    if isinstance(node, Cite):
        return "{lag:" + " ".join([node.law, *([node.pinpoint] if node.pinpoint else [])]) + "}"
    if isinstance(node, DocRef):
        return f"{{doc:{node.doc}}}"
    raise TypeError(node)


def atoms(corpus: Corpus, doc_id: str, inlines: tuple[Inline, ...]) -> list[Atom]:
    """The atoms of a unit, rendered with `corpus` (the version the Word file shows)."""
    out: list[Atom] = []
    for node in inlines:
        if isinstance(node, Str):
            out.append(Atom(node.text, node.text))
        elif isinstance(node, (Emph, Strong)):
            mark = "*" if isinstance(node, Emph) else "**"
            out += [Atom("", mark), *atoms(corpus, doc_id, node.children), Atom("", mark)]
        elif isinstance(node, Link):
            out += [Atom("", "["), *atoms(corpus, doc_id, node.children), Atom("", f"]({node.url})")]
        else:
            out.append(Atom(plain(corpus, doc_id, (node,)), marker_source(node), node))
    return out


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def _tokens(text: str) -> tuple[list[str], list[int]]:
    found = list(_TOKEN.finditer(text))
    return [m.group() for m in found], [m.start() for m in found] + [len(text)]


def source_of(corpus: Corpus, doc_id: str, inlines: tuple[Inline, ...]) -> tuple[str, str]:
    """(rendered text, markup) of a unit: how a moved paragraph is recognised and written back unchanged."""
    row = atoms(corpus, doc_id, inlines)
    return "".join(a.shown for a in row), "".join(a.source for a in row)


def rewrite(corpus: Corpus, doc_id: str, inlines: tuple[Inline, ...], new_text: str) -> Rewrite:
    """The markup for `new_text`, a unit whose rendered text was that of `inlines`."""
    row = atoms(corpus, doc_id, inlines)
    old = "".join(a.shown for a in row)
    owner: list[int] = [i for i, a in enumerate(row) for _ in a.shown]
    old_tokens, old_at = _tokens(old)
    new_tokens, new_at = _tokens(new_text)
    pieces: list[list[str]] = [[] for _ in row]
    extra: dict[int, list[str]] = {}  # text inserted after atom i with no plain text beside it

    def put(a: int, b: int, text: str) -> None:
        """Old characters [a, b) become `text`."""
        if a < b:
            touched = sorted(set(owner[a:b]))
            target = next((i for i in touched if row[i].node is None), touched[0])
            pieces[target].append(text)
            return
        if not text:
            return
        before = owner[a - 1] if a > 0 else None
        after = owner[a] if a < len(owner) else None
        for i in (before, after):
            if i is not None and row[i].node is None:
                pieces[i].append(text) if i == before else pieces[i].insert(0, text)
                return
        extra.setdefault(-1 if before is None else before, []).append(text)

    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b, c, d = old_at[i1], old_at[i2], new_at[j1], new_at[j2]
        if op == "equal":
            for k in range(a, b):
                pieces[owner[k]].append(old[k])
        else:
            put(a, b, new_text[c:d])
    notes: list[str] = []
    out: list[str] = [_typed_refs(corpus, doc_id, text, notes) for text in extra.get(-1, [])]
    for i, atom in enumerate(row):
        shown = "".join(pieces[i])
        if atom.node is None and atom.shown:
            out.append(_typed_refs(corpus, doc_id, shown, notes) if shown != atom.shown else atom.source)
        elif atom.node is None:
            out.append(atom.source)
        else:
            out.append(_marker(corpus, doc_id, atom, shown, notes))
        for text in extra.get(i, []):
            out.append(_typed_refs(corpus, doc_id, text, notes))
    source = re.sub(r"\s+", " ", "".join(out)).strip()
    source = re.sub(r"(\*\*|\*)(\s*)\1", r"\2", source)  # emphasis left empty
    check = parse_inlines(source, [])
    try:
        shown = plain(corpus, doc_id, check)
    except KeyError:
        shown = None
    if shown is not None and " ".join(shown.split()) != " ".join(new_text.split()):
        notes.append(f"the written markup reads “{' '.join(shown.split())}”, not exactly as in Word: check it")
    return Rewrite(source, notes)


def _marker(corpus: Corpus, doc_id: str, atom: Atom, shown: str, notes: list[str]) -> str:
    """A marker after the edit: kept, inflected, re-pointed, or turned into plain text (with a note)."""
    node = atom.node
    if shown == atom.shown:
        return atom.source
    if not shown.strip():
        notes.append(f"“{atom.shown}” ({atom.source}) was deleted")
        return shown
    core = shown.strip()
    lead, trail = shown[:len(shown) - len(shown.lstrip())], shown[len(shown.rstrip()):]
    if isinstance(node, TermUse):
        name = corpus.term(node.term).source.term
        if _inflected(core, name) or _inflected(core, atom.shown):
            form = "" if core == name else f"|{core}"
            return f"{lead}{{term:{node.term}{form}}}{trail}"
    if isinstance(node, Ref):
        found = find_ref(corpus, doc_id, core)
        if found:
            return f"{lead}{{ref:{found}}}{trail}"
    notes.append(f"“{atom.shown}” ({atom.source}) was changed to “{core}”, which is written as plain text")
    return shown


def _inflected(new: str, term: str) -> bool:
    """Whether `new` reads as a form of `term`: the same words, each with the same stem."""
    a, b = new.lower().split(), term.lower().split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        common = len(next((p for p in (x[:n] for n in range(min(len(x), len(y)), 0, -1)) if y.startswith(p)), ""))
        if common < max(1, min(len(x), len(y)) - 2):
            return False
    return True


_SECTION = re.compile(r"\bavsnitt (\d+(?:\.\d+)*)(?![\d.]*\d)")


def find_ref(corpus: Corpus, doc_id: str, text: str) -> str | None:
    """The clause id `text` names when it is exactly how a reference to it renders ('avsnitt 4.2')."""
    for document in corpus.documents:
        for clause in document.clauses():
            if ref_label(corpus, clause, doc_id) == text:
                return clause.id
    return None


def _typed_refs(corpus: Corpus, doc_id: str, text: str, notes: list[str]) -> str:
    """Plain text with each typed 'avsnitt 4.2' (or '… i Munhälsa') that names a clause written as {ref:…}."""
    labels = {ref_label(corpus, c, doc_id): c.id for d in corpus.documents for c in d.clauses()}
    out, pos = [], 0
    for match in _SECTION.finditer(text):
        rest = text[match.end():]
        named = [f"{match.group(0)} i {d.source.short_title}" for d in corpus.documents
                 if rest.startswith(f" i {d.source.short_title}")]
        candidate = next((c for c in [*named, match.group(0)] if c in labels), None)
        if candidate is None:
            continue
        notes.append(f"typed “{candidate}” is written as {{ref:{labels[candidate]}}}")
        out += [text[pos:match.start()], f"{{ref:{labels[candidate]}}}"]
        pos = match.start() + len(candidate)
    return "".join(out) + text[pos:]
