"""Traceability: did the text really change where the working group says a comment was taken into account?

`trace` compares the round's version with a later one (`against`, e.g. forslag-2025-08) by
clause id (the redline's diff) and tells, for each comment, whether its clause changed, with
the path of the redline page that shows it. It also lists findings:

- a position 'beaktad' or 'delvis beaktad' that names no clauses, or none that changed,
  or some that did not change;
- a changed clause that no position names (directly or through an enclosing avsnitt): listed,
  since not every change comes from the remiss;
- a position naming a clause that is in neither version.

A clause counts as changed when it, or a clause below it, is new, deleted, changed or moved; a
clause that only got a new number has not changed. `avtal check` runs this against
`Positions.against`; `avtal remiss report --against` prints it per comment; `avtal redline`
uses `redline_notes` to annotate the changed clauses with the comments behind them.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Optional

from ...model.problems import Problems, SourceError
from ...model.remiss_files import round_ids
from ...model.versions import load_version
from ...redline.diff import CHANGED, DELETED, MOVED, NEW, ChangeSet, Node, compare
from ...render import wording

if TYPE_CHECKING:
    from ..record.positions import RoundPositions

CHANGE_KINDS = frozenset({NEW, DELETED, CHANGED, MOVED})  # what makes a clause changed ("renumbered" alone does not)
PAST = {NEW: "added", DELETED: "deleted", MOVED: "moved", CHANGED: "changed"}
TERM_PAST = {"new": "added", "deleted": "deleted", "renamed": "renamed", "changed": "redefined"}
TAKEN = ("beaktad", "delvis beaktad")  # statuses that claim the text changed

# Finding kinds
NO_CLAUSES = "no-clauses"  # beaktad/delvis beaktad naming no clauses
UNCHANGED = "unchanged"  # beaktad/delvis beaktad naming clauses none of which changed
PARTLY_UNCHANGED = "partly-unchanged"  # … naming some clauses that did not change
UNCOVERED = "uncovered"  # a changed clause no position names
UNKNOWN_CLAUSE = "unknown-clause"  # a named clause in neither version


@dataclass(frozen=True)
class ClauseTrace:
    """A clause that changed between the two versions."""

    id: str
    document: str
    title: str
    kinds: frozenset[str]  # the diff's kinds for the clause itself: new, deleted, changed, moved (renumbered)
    number_from: Optional[str]  # its number in the round's version (None: new)
    number_to: Optional[str]  # its number in `against` (None: deleted)
    covered: bool  # some position names it or an avsnitt above it


@dataclass(frozen=True)
class CommentTrace:
    """One comment: whether its clause changed, and where the redline shows it.

    `state` is "changed", "unchanged", or "general" (a general or whole-document comment: no
    clause to follow). `redline` is the page and anchor relative to dist/, e.g.
    'redline/remiss-2025--forslag-2025-08/huvudavtal.html#ansvar.lakemedel'; None for a general
    comment or when the clause's document did not change at all (`avtal redline` writes no page
    for it). Use `TraceResult.href` for a link from another folder of dist/.
    """

    comment: str
    clause: Optional[str]
    document: Optional[str]
    state: Literal["changed", "unchanged", "general"]
    kinds: frozenset[str]  # of the clause itself (empty: unchanged; {'renumbered'}: only a new number)
    changed_within: tuple[str, ...]  # changed clauses at or below the comment's clause, in reading order
    redline: Optional[str]
    position: Optional[int]  # index into Positions.positions; None while the comment has no position
    status: Optional[str]  # that position's status

    @property
    def changed(self) -> bool:
        return self.state == "changed"


@dataclass(frozen=True)
class Finding:
    """An inconsistency between the positions and the text; `position` indexes Positions.positions."""

    kind: str  # NO_CLAUSES, UNCHANGED, PARTLY_UNCHANGED, UNCOVERED or UNKNOWN_CLAUSE
    severity: Literal["warning", "error"]
    message: str
    position: Optional[int] = None
    clause: Optional[str] = None
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class TraceResult:
    """Every comment of the round traced from the round's version to `against`, and the findings.

    For the report: iterate `comments` (the draft's reading order); `href(c.redline)` gives a
    link from dist/remiss/<round>/ to the redline page; the pages exist once `redline_command`
    has been run (`avtal redline FROM TO` writes dist/redline/FROM--TO/).
    """

    round: str
    version: str  # the round's version (FROM)
    against: str  # the later version (TO)
    folder: str  # the redline folder relative to dist/, 'redline/FROM--TO'
    comments: tuple[CommentTrace, ...]
    changed: tuple[ClauseTrace, ...]  # every changed clause, in reading order
    findings: tuple[Finding, ...]

    def comment(self, comment_id: str) -> CommentTrace:
        return next(c for c in self.comments if c.comment == comment_id)

    def href(self, target: Optional[str], start: Optional[str] = None) -> Optional[str]:
        """A redline path (relative to dist/) as a link from `start` (default: remiss/<round>, the report's folder)."""
        if target is None:
            return None
        page, _, anchor = target.partition("#")
        rel = posixpath.relpath(page, start or f"remiss/{self.round}")
        return f"{rel}#{anchor}" if anchor else rel

    @property
    def redline_command(self) -> str:
        return f"avtal redline {self.version} {self.against}"

    @property
    def counts(self) -> dict[str, int]:
        """How many comments are changed / unchanged / general."""
        out = {"changed": 0, "unchanged": 0, "general": 0}
        for c in self.comments:
            out[c.state] += 1
        return out


@dataclass(frozen=True)
class NodeInfo:
    """One clause of the redline's display tree (both versions' clauses), as the trace needs it."""

    id: str
    doc: str
    parent: Optional[str]
    kinds: frozenset[str]
    number_from: Optional[str]
    number_to: Optional[str]
    title: str


@dataclass(frozen=True)
class PairIndex:
    """What changed between two versions, clause by clause: the diff reduced to ids, kinds and numbers.

    Built from the redline's ChangeSet, or read from the cache when both versions are frozen
    (keyed by their checksums, so `avtal check` compares two frozen versions only once).
    """

    from_name: str
    to_name: str
    folder: str  # FROM--TO, as `avtal redline` names it
    nodes: dict[str, NodeInfo]  # reading order
    touched: frozenset[str]  # documents with a redline page
    terms: dict[str, str] = field(default_factory=dict)  # term id → how it changed: new, deleted, renamed, changed
    general: frozenset[str] = frozenset()  # documents whose preamble or metadata changed

    @classmethod
    def of(cls, changes: ChangeSet) -> "PairIndex":
        nodes: dict[str, NodeInfo] = {}

        def visit(node: Node, parent: Optional[str], doc: str) -> None:
            c = node.change
            nodes[c.id] = NodeInfo(c.id, doc, parent, c.kinds, c.old_number, c.new_number, c.title)
            for child in node.children:
                visit(child, c.id, doc)

        for doc in changes.documents:
            for top in doc.tree:
                visit(top, None, doc.id)
        return cls(changes.from_name, changes.to_name, changes.folder, nodes,
                   frozenset(d.id for d in changes.documents if d.touched), {t.id: t.kind for t in changes.terms},
                   frozenset(d.id for d in changes.documents if d.preamble_changed or d.meta))

    def to_json(self) -> dict:
        return {"from": self.from_name, "to": self.to_name, "folder": self.folder, "touched": sorted(self.touched),
                "nodes": [[n.id, n.doc, n.parent, sorted(n.kinds), n.number_from, n.number_to, n.title]
                          for n in self.nodes.values()], "terms": self.terms, "general": sorted(self.general)}

    @classmethod
    def from_json(cls, data: dict) -> "PairIndex":
        nodes = {n[0]: NodeInfo(n[0], n[1], n[2], frozenset(n[3]), n[4], n[5], n[6]) for n in data["nodes"]}
        return cls(data["from"], data["to"], data["folder"], nodes, frozenset(data["touched"]),
                   dict(data.get("terms", {})), frozenset(data.get("general", ())))

    def changed(self, cid: str) -> bool:
        return bool(self.nodes[cid].kinds & CHANGE_KINDS)

    def within(self, cid: str) -> tuple[str, ...]:
        """Changed clauses at or below `cid`, in reading order."""
        return self._within()[cid]

    def _within(self) -> dict[str, tuple[str, ...]]:
        """`within` of every clause, built in one pass from the leaves up (and kept)."""
        memo = self.__dict__.get("_memo")
        if memo is None:
            found = {cid: [cid] if self.changed(cid) else [] for cid in self.nodes}
            for n in reversed(list(self.nodes.values())):  # pre-order reversed: descendants are done first
                if n.parent is not None:
                    found[n.parent].extend(found[n.id])
            order = {cid: i for i, cid in enumerate(self.nodes)}
            memo = {cid: tuple(sorted(ids, key=order.__getitem__)) for cid, ids in found.items()}
            object.__setattr__(self, "_memo", memo)  # a cache, not a field: equality and the JSON ignore it
        return memo


def pair_index(sources: Path, data: RoundPositions, against: str) -> PairIndex:
    """The changes from the round's version to `against`; cached when both are frozen."""
    from ...model.versions import VERSION_FILE, WORKING, read_version, versions_dir
    from ..record.version_index import cached, code_digest

    version = data.info.source.version

    def build() -> PairIndex:
        old = load_version(sources, version)[0]
        if against == WORKING and data.working is not None:
            new, name = data.working, WORKING
        else:
            new, name = load_version(sources, against)
        return PairIndex.of(compare(old, new, version, name))

    frozen = versions_dir(sources)
    if against == WORKING or not (frozen / against / VERSION_FILE).exists():
        return build()
    sums = []
    for name, index in ((version, data.version), (against, data.against)):
        known = index.checksum if index is not None and index.name == name else ""
        sums.append(known or read_version(frozen / name).checksum)
    key = " ".join([*sums, code_digest()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return PairIndex.from_json(cached(sources, "trace", digest, lambda: build().to_json()))


def trace(sources: Path, round_id: str, against: str) -> TraceResult:
    """Trace the round's comments and positions to version `against` (a frozen name, git ref or 'working').

    Raises SourceError when the answers or positions have errors (`avtal check` lists them) or a
    version does not load.
    """
    from ..record.positions import load_round_positions

    data = load_round_positions(sources, round_id)
    data.raise_errors()
    if data.version is None:  # not frozen: load_round reported it, as an error
        raise SourceError(data.problems)
    return trace_positions(data, pair_index(sources, data, against))


def trace_positions(data: RoundPositions, pair: PairIndex) -> TraceResult:
    """The trace of loaded positions over a pair of versions (`avtal check` and `trace` share it)."""
    nodes = pair.nodes
    folder = f"redline/{pair.folder}"

    def page(cid: str) -> Optional[str]:
        doc = nodes[cid].doc
        return f"{folder}/{doc}.html#{cid}" if doc in pair.touched else None

    positions = data.positions.positions
    owner = data.owner()
    comments = []
    for info in data.comments.values():
        cid, clause = info.id, info.comment.clause
        i = owner.get(cid)
        status = positions[i].status if i is not None else None
        if not clause or clause not in nodes:
            comments.append(CommentTrace(cid, clause, info.document, "general", frozenset(), (), None, i, status))
            continue
        inside = pair.within(clause)
        comments.append(CommentTrace(cid, clause, nodes[clause].doc, "changed" if inside else "unchanged",
                                     nodes[clause].kinds, inside, page(clause), i, status))

    named: dict[str, list[int]] = {}
    for i, p in enumerate(positions):
        for clause in p.clauses:
            named.setdefault(clause, []).append(i)

    def covered(cid: str) -> bool:
        at: Optional[str] = cid
        while at is not None:
            if at in named:
                return True
            at = nodes[at].parent
        return False

    findings: list[Finding] = []
    versions = f"{pair.from_name} and {pair.to_name}"
    for i, p in enumerate(positions):
        who = ", ".join(p.comments)
        for clause in (c for c in p.clauses if c not in nodes):
            findings.append(Finding(UNKNOWN_CLAUSE, "error", f"position '{p.status}' ({who}) names clause '{clause}', "
                                    f"which is in neither {versions}: name a clause of {pair.to_name}", i, clause,
                                    p.comments))
        if p.status not in TAKEN:
            continue
        known = [c for c in p.clauses if c in nodes]
        # A term or a document's general text counts as a clause would: named, it must have changed.
        known_other = [f"begrepp:{t}" for t in p.terms] + [f"text:{d}" for d in p.general]
        still_other = [f"begrepp:{t}" for t in p.terms if t not in pair.terms] + \
            [f"text:{d}" for d in p.general if d not in pair.general]
        if still_other:
            kind = UNCHANGED if not p.clauses and len(still_other) == len(known_other) else PARTLY_UNCHANGED
            findings.append(Finding(kind, "warning", f"position '{p.status}' ({who}) names {', '.join(still_other)}, "
                                    f"which did not change between {versions}: remove them, or change the text", i,
                                    still_other[0], p.comments))
        if not p.clauses and known_other:
            continue
        if not p.clauses:
            findings.append(Finding(NO_CLAUSES, "warning", f"position '{p.status}' ({who}) names no clauses: list the "
                                    f"clauses the decision changed in {pair.to_name} (--clauses; a glossary term "
                                    "--terms, a document's general text --general), or choose 'ej beaktad' or "
                                    "'noterad'", i, None, p.comments))
            continue
        still = [c for c in known if not pair.within(c)]
        if known and len(still) == len(known):
            findings.append(Finding(UNCHANGED, "warning", f"position '{p.status}' ({who}) names "
                                    f"{_clauses(still, nodes)}, but none changed between {versions}: change the "
                                    "text, correct the clauses, or reconsider the status", i, still[0], p.comments))
        elif still:
            findings.append(Finding(PARTLY_UNCHANGED, "warning", f"position '{p.status}' ({who}) names "
                                    f"{_clauses(still, nodes)}, which did not change between {versions}: remove "
                                    "them from its clauses, or change the text", i, still[0], p.comments))
    named_terms = {t for p in positions for t in p.terms}
    named_general = {d for p in positions for d in p.general}
    for tid, kind in sorted(pair.terms.items()):
        if tid not in named_terms:
            findings.append(Finding(UNCOVERED, "warning", f"term {tid} was {TERM_PAST[kind]} in the glossary between "
                                    f"{versions}, but no position names it: add it to the terms of the position "
                                    "whose decision changed it (--terms; fine to leave if the change did not come "
                                    "from the remiss)", None, f"begrepp:{tid}"))
    for doc in sorted(pair.general - named_general):
        findings.append(Finding(UNCOVERED, "warning", f"the general text of {doc} (preamble, title) changed between "
                                f"{versions}, but no position names it (--general {doc}; fine to leave if the change "
                                "did not come from the remiss)", None, f"text:{doc}"))
    changed = []
    for cid, n in nodes.items():
        if not pair.changed(cid):
            continue
        trace_ = ClauseTrace(cid, n.doc, n.title, n.kinds, n.number_from, n.number_to, covered(cid))
        changed.append(trace_)
        if not trace_.covered:
            what = " and ".join(PAST[k] for k in (NEW, DELETED, MOVED, CHANGED) if k in n.kinds)
            findings.append(Finding(UNCOVERED, "warning", f"clause {cid} ({n.doc} {n.number_to or n.number_from} "
                                    f"{n.title}) was {what} between {versions}, but no position names it: add it to "
                                    "the clauses of the position whose decision changed it (fine to leave if the "
                                    "change did not come from the remiss)", None, cid))
    return TraceResult(data.info.id, pair.from_name, pair.to_name, folder, tuple(comments), tuple(changed),
                       tuple(findings))


def _clauses(ids: list[str], nodes: dict[str, NodeInfo]) -> str:
    shown = [f"{c} ({nodes[c].number_to or nodes[c].number_from})" for c in ids]
    return ("clause " if len(shown) == 1 else "clauses ") + ", ".join(shown)


# ---- redline annotations -------------------------------------------------------------------------

@dataclass(frozen=True)
class RedlineNotes:
    """Notes for `write_redline`: clause id → 'Ändrad efter remissynpunkter från Borås Stad och Ale kommun.'."""

    round: Optional[str]
    notes: dict[str, str]
    skipped: tuple[str, ...] = ()  # why a round that traces to TO was not used

    def __str__(self) -> str:
        lines = [f"annotated {len(self.notes)} changed clause(s) with the comments of {self.round} behind them"] \
            if self.round else []
        return "\n".join(lines + [f"note: {s}" for s in self.skipped])


def redline_notes(sources: Path, changes: ChangeSet, round_id: Optional[str] = None) -> RedlineNotes:
    """The notes for a redline: from `round_id`, or else from the one round whose positions trace FROM → TO.

    A changed clause gets a note when a 'beaktad' or 'delvis beaktad' position names it; the note
    lists those positions' comments with their parties. With an explicit round whose positions
    have errors, raises SourceError; an automatically found one is skipped with a note.
    """
    explicit = round_id is not None
    candidates = [round_id] if explicit else round_ids(sources)
    skipped: list[str] = []
    for rid in candidates:
        if not explicit and _against_of(sources, rid) != changes.to_name:
            continue  # cheap: the round's answers are read only when its positions trace to TO
        from ..record.positions import load_round_positions  # the remiss model, only once a round is at hand

        try:
            data = load_round_positions(sources, rid)  # type: ignore[arg-type]
        except SourceError:
            if explicit:
                raise
            continue
        if not explicit and (data.positions.against != changes.to_name
                             or data.info.source.version != changes.from_name):
            continue
        if data.problems.errors:
            if explicit:
                data.raise_errors()
            skipped.append(f"round {rid} traces to {changes.to_name} but its answers or positions have errors "
                           "(run `avtal check`): the redline is not annotated")
            continue
        return RedlineNotes(rid, _notes(data, changes), tuple(skipped))
    return RedlineNotes(None, {}, tuple(skipped))


def _against_of(sources: Path, round_id: str) -> Optional[str]:
    """The `against:` of a round's positions file, read without validating anything (None if unreadable)."""
    from ...model.problems import Problems
    from ...model.remiss_files import POSITIONS_FILE, REMISS_DIR
    from ...model.yamlfile import read_yaml

    path = sources / REMISS_DIR / round_id / POSITIONS_FILE
    source = read_yaml(path, str(path), Problems()) if path.exists() else None  # bounded; problems shown by check
    data = source.data if source is not None else None
    value = data.get("against") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _notes(data: RoundPositions, changes: ChangeSet) -> dict[str, str]:
    pair = PairIndex.of(changes)
    changed = {cid for cid in pair.nodes if pair.within(cid)}
    behind: dict[str, list[str]] = {}
    for p in data.positions.positions:
        if p.status not in TAKEN:
            continue
        for clause in p.clauses:
            if clause in changed:
                behind.setdefault(clause, []).extend(p.comments)
    order = {cid: n for n, cid in enumerate(data.comments)}
    notes = {}
    for clause, ids in behind.items():
        ids = sorted(dict.fromkeys(ids), key=lambda c: order.get(c, len(order)))
        who = dict.fromkeys(data.comments[c].party_name for c in ids if c in data.comments)
        # Readers of the redline see who asked; the comment ids are cited in the remissammanställning.
        notes[clause] = f"Ändrad efter remissynpunkter från {wording.listing(list(who))}." if who else \
            "Ändrad efter remissynpunkter."
    return notes


def findings_as_problems(data: RoundPositions, result: TraceResult, problems: Problems) -> None:
    """The findings as `avtal check` problems, located in stallningstaganden.yaml."""
    for f in result.findings:
        if f.kind == UNKNOWN_CLAUSE and f.clause not in data.clause_ids:
            continue  # already an error of the positions file itself
        loc = data.location("positions", f.position, "clauses") if f.position is not None \
            else data.location("against")
        problems.add(loc, f"trace to {result.against}: {f.message}", severity=f.severity,
                     where=f.clause or (f.comments[0] if f.comments else ""))
