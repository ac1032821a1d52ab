"""Clause-aware comparison of two versions: normalise, match by id, classify.

A clause is matched by its id, never its position. It is `new`, `deleted`,
`changed` (its title, text or table reads differently), `moved` (another
parent, or out of order among the siblings both versions share, by longest
common subsequence), or only `renumbered`. The result is a display tree in
the new version's order with deleted clauses kept where they stood, which
the renderers walk, and a flat change list for the ändringsförteckning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from ..gcpause import collector_paused
from ..model import Clause, Corpus, Document
from ..model.text import BulletList, Inline, Para, TermUse, block_inlines, walk_inlines
from .words import Token, WordCache, tokens

NEW, DELETED, CHANGED, MOVED, RENUMBERED = "new", "deleted", "changed", "moved", "renumbered"
KIND_ORDER = (NEW, DELETED, MOVED, CHANGED, RENUMBERED)


class Side:
    """One version seen by the diff: its corpus and how it words term uses.

    Tokens are kept per run of inlines (by identity): the comparison tokenises a changed clause,
    and the redline renders it word by word from the same tokens.
    """

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.parent: dict[str, str | None] = {}
        self.children: dict[str | None, list[str]] = {}
        self._tokens: dict[int, tuple[tuple[Inline, ...], list[Token]]] = {}
        self._words: WordCache = {}

    def shown(self, use: TermUse) -> str:
        return use.form or self.corpus.term(use.term).source.term

    def tokens(self, inlines: tuple[Inline, ...]) -> list[Token]:
        """The tokens of one paragraph, list item or cell (computed once; callers do not change them)."""
        kept = self._tokens.get(id(inlines))
        if kept is None or kept[0] is not inlines:
            kept = self._tokens[id(inlines)] = (inlines, tokens(inlines, self.shown, self._words))
        return kept[1]

    def units(self, clause: Clause) -> list[tuple[str, list[Token]]]:
        """The clause body as comparable units: paragraphs and list items."""
        return self.units_of(clause.body)

    def units_of(self, blocks) -> list[tuple[str, list[Token]]]:
        out: list[tuple[str, list[Token]]] = []
        for block in blocks:
            if isinstance(block, Para):
                out.append(("para", self.tokens(block.inlines)))
            else:
                kind = "bullet" if isinstance(block, BulletList) else "ordered"
                out.extend((kind, self.tokens(item)) for item in block.items)
        return out

    def table_cells(self, clause: Clause) -> list[list[list[Token]]]:
        if clause.table is None:
            return []
        return [[self.tokens(cell) for cell in row] for row in clause.table.rows]

    def content_key(self, clause: Clause) -> tuple:
        """What a reader sees of this clause itself (not its children), as comparable keys."""
        units = tuple((kind, tuple(t.key for t in toks)) for kind, toks in self.units(clause))
        table = None
        if clause.table is not None:
            cells = tuple(tuple(tuple(t.key for t in cell) for cell in row) for row in self.table_cells(clause))
            table = (clause.table.caption, clause.table.header, cells)
        return (clause.title, units, table)

    def index(self, doc: Document | None) -> dict[str, Clause]:
        self.parent.clear()
        self.children.clear()
        found: dict[str, Clause] = {}
        if doc is None:
            return found

        def visit(clause: Clause, parent: str | None) -> None:
            found[clause.id] = clause
            self.parent[clause.id] = parent
            self.children.setdefault(parent, []).append(clause.id)
            for child in clause.children:
                visit(child, clause.id)

        for section in doc.sections:
            visit(section, None)
        return found


@dataclass(frozen=True)
class ClauseChange:
    """How one clause differs; `old`/`new` are the clause in each version (None if absent)."""

    id: str
    kinds: frozenset[str]
    old: Clause | None
    new: Clause | None

    @property
    def title(self) -> str:
        return (self.new or self.old).title  # type: ignore[union-attr]

    @property
    def old_number(self) -> str | None:
        return self.old.label if self.old else None

    @property
    def new_number(self) -> str | None:
        return self.new.label if self.new else None


@dataclass(frozen=True)
class Node:
    """A clause in the redline's reading order, with its children (deleted ones included)."""

    change: ClauseChange
    children: tuple["Node", ...]

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            yield from child.walk()


META_LABEL = {"title": "titel", "subtitle": "undertitel", "short_title": "kortnamn", "kind": "dokumenttyp",
              "legal_basis": "lagstöd", "valid_from": "giltig från", "valid_to": "giltig till",
              "diarienummer": "diarienummer"}


@dataclass(frozen=True)
class DocumentChange:
    id: str
    old: Document | None
    new: Document | None
    tree: tuple[Node, ...]
    preamble_changed: bool = False
    meta: tuple[str, ...] = ()  # metadata fields that differ (status and version date are version stamps)

    @property
    def touched(self) -> bool:
        """Anything to show: a changed clause, preamble or metadata."""
        return bool(self.changes or self.preamble_changed or self.meta)

    def nodes(self) -> Iterator[Node]:
        for node in self.tree:
            yield from node.walk()

    @property
    def changes(self) -> list[ClauseChange]:
        """Every clause that is new, deleted, changed, moved or renumbered, in reading order."""
        return [n.change for n in self.nodes() if n.change.kinds]

    @property
    def has_text_changes(self) -> bool:
        return self.preamble_changed or bool(self.meta) or any(c.kinds - {RENUMBERED} for c in self.changes)


@dataclass(frozen=True)
class TermChange:
    id: str
    kind: str  # new | deleted | renamed | changed
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ChangeSet:
    old: Corpus
    new: Corpus
    from_name: str
    to_name: str
    documents: tuple[DocumentChange, ...]
    terms: tuple[TermChange, ...] = field(default=())
    from_title: str | None = None  # a frozen version's recorded title; readers see render.wording.version_name
    to_title: str | None = None
    sides: tuple[Side, Side] | None = field(default=None, compare=False, repr=False)  # the tokens compare made

    @property
    def is_empty(self) -> bool:
        return not self.terms and not any(d.touched for d in self.documents)

    @property
    def folder(self) -> str:
        """The redline's folder under dist/redline/: FROM--TO (a '/' in a git ref becomes '_')."""
        return f"{self.from_name}--{self.to_name}".replace("/", "_")


def _lcs_keep(old: list[str], new: list[str]) -> set[str]:
    """Ids kept in place by a longest common subsequence; on ties the earlier old element stays."""
    n, m = len(old), len(new)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if old[i] == new[j] else max(table[i + 1][j], table[i][j + 1])
    kept, i, j = set(), 0, 0
    while i < n and j < m:
        if old[i] == new[j]:
            kept.add(old[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] > table[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept


def _renamed_terms(old: Corpus, new: Corpus) -> frozenset[str]:
    """Terms whose default wording differs: a clause using them reads differently with the same source."""
    before = {t.id: t.source.term for t in old.terms}
    return frozenset(t.id for t in new.terms if before.get(t.id, t.source.term) != t.source.term)


def _same_source(a: Clause, b: Clause, renamed: frozenset[str]) -> bool:
    """A fast 'unchanged': the same parsed title, text and table, and no renamed term shown in them.

    Only a shortcut past tokenising: when it says no, the clause is compared word by word.
    """
    if a.title != b.title or a.body != b.body or a.table != b.table:
        return False
    if not renamed:
        return True
    runs = list(block_inlines(a.body)) + ([cell for row in a.table.rows for cell in row] if a.table else [])
    return not any(isinstance(n, TermUse) and n.term in renamed for run in runs for n in walk_inlines(run))


def compare_documents(old_side: Side, new_side: Side, old: Document | None, new: Document | None) -> DocumentChange:
    old_index = old_side.index(old)
    new_index = new_side.index(new)
    doc_id = (new or old).id  # type: ignore[union-attr]
    renamed = _renamed_terms(old_side.corpus, new_side.corpus)
    moved: set[str] = set()
    for parent, new_children in new_side.children.items():
        shared_old = [c for c in old_side.children.get(parent, []) if new_side.parent.get(c, "∅") == parent]
        shared_new = [c for c in new_children if c in old_index and old_side.parent.get(c) == parent]
        kept = _lcs_keep(shared_old, shared_new)
        moved.update(c for c in shared_new if c not in kept)
    moved.update(c for c in new_index if c in old_index and old_side.parent[c] != new_side.parent[c])

    def change(cid: str) -> ClauseChange:
        a, b = old_index.get(cid), new_index.get(cid)
        kinds: set[str] = set()
        if a is None:
            kinds.add(NEW)
        elif b is None:
            kinds.add(DELETED)
        else:
            if cid in moved:
                kinds.add(MOVED)
            if not _same_source(a, b, renamed) and old_side.content_key(a) != new_side.content_key(b):
                kinds.add(CHANGED)
            if a.label != b.label and MOVED not in kinds:
                kinds.add(RENUMBERED)
        return ClauseChange(cid, frozenset(kinds), a, b)

    def merged(parent: str | None, deleted_parent: bool) -> tuple[Node, ...]:
        """Children of `parent` in new order, with deleted old children placed after their old predecessor."""
        order = [] if deleted_parent else list(new_side.children.get(parent, []))
        anchor = 0
        for cid in old_side.children.get(parent, []):
            if cid in order:
                anchor = order.index(cid) + 1
            elif cid not in new_index:
                order.insert(anchor, cid)
                anchor += 1
        return tuple(Node(change(c), merged(c, c not in new_index)) for c in order)

    preamble_changed = old is not None and new is not None and \
        _unit_keys(old_side.units_of(old.preamble)) != _unit_keys(new_side.units_of(new.preamble))
    meta: tuple[str, ...] = ()
    if old is not None and new is not None:
        meta = tuple(f for f in META_LABEL if getattr(old.source, f) != getattr(new.source, f))
    return DocumentChange(doc_id, old, new, merged(None, new is None), preamble_changed, meta)


def _unit_keys(units: list[tuple[str, list[Token]]]) -> list[tuple]:
    return [(kind, tuple(t.key for t in toks)) for kind, toks in units]


def compare(old: Corpus, new: Corpus, from_name: str, to_name: str, from_title: str | None = None,
            to_title: str | None = None) -> ChangeSet:
    """The change set from version `old` to version `new` (names are slugs; titles what readers see, if recorded)."""
    old_side, new_side = Side(old), Side(new)
    old_docs = {d.id: d for d in old.documents}
    new_docs = {d.id: d for d in new.documents}
    ids = [d.id for d in new.documents] + [i for i in old_docs if i not in new_docs]
    with collector_paused():  # the tokens of every changed clause, kept for the renderer: none cyclic
        documents = tuple(compare_documents(old_side, new_side, old_docs.get(i), new_docs.get(i)) for i in ids)
    old_terms = {t.id: t.source for t in old.terms}
    new_terms = {t.id: t.source for t in new.terms}
    terms: list[TermChange] = []
    for tid in sorted(old_terms.keys() | new_terms.keys()):
        a, b = old_terms.get(tid), new_terms.get(tid)
        if a is None:
            terms.append(TermChange(tid, "new", None, b.term))  # type: ignore[union-attr]
        elif b is None:
            terms.append(TermChange(tid, "deleted", a.term, None))
        elif a.term != b.term:
            terms.append(TermChange(tid, "renamed", a.term, b.term))
        elif a != b:
            terms.append(TermChange(tid, "changed", a.term, b.term))
    return ChangeSet(old, new, from_name, to_name, documents, tuple(terms), from_title, to_title,
                     (old_side, new_side))
