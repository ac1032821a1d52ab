"""The resolved model: every document numbered, every reference checked.

`load(sources)` reads the package, glossary, statutes and documents, validates
them, and returns a frozen `Corpus` whose clauses carry computed numbers and
parsed text. Problems are collected across all files before returning.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from ..fsutil import CACHE_DIR, read_limited
from . import law, schema, snapshot
from .problems import Location, Problems, relative
from .text import (
    Block,
    Cite,
    DocRef,
    Inline,
    Ref,
    TermUse,
    block_inlines,
    parse_blocks,
    parse_inlines,
    walk_inlines,
)

if TYPE_CHECKING:
    from .yamlfile import KeyPath, YamlFile

MAX_DEPTH = 3
PACKAGE_FILE = "avtal.yaml"
TERMS_FILE = "terms.yaml"
STATUTES_FILE = "statutes.yaml"
DOCUMENTS_DIR = "documents"
FROZEN_MARK = "version.yaml"  # written by `avtal freeze`: this folder is a frozen version


@dataclass(frozen=True)
class Table:
    caption: str | None
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]


@dataclass(frozen=True)
class Clause:
    """A numbered avsnitt, clause or sub-clause with parsed text."""

    id: str
    title: str
    number: tuple[int, ...]
    doc: str
    body: tuple[Block, ...]
    table: Table | None
    children: tuple["Clause", ...]

    @property
    def label(self) -> str:
        """The computed number as shown: '3.2.1'."""
        return ".".join(map(str, self.number))

    @property
    def level(self) -> int:
        return len(self.number)

    def walk(self) -> Iterator["Clause"]:
        """This clause and all below it, in reading order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Document:
    """One agreement with its metadata (the validated source) and numbered clauses."""

    source: schema.Document
    file: str = field(compare=False)  # where it was read from: not part of the content
    preamble: tuple[Block, ...]
    sections: tuple[Clause, ...]

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def title(self) -> str:
        return self.source.title

    def clauses(self) -> Iterator[Clause]:
        """Every clause in reading order."""
        for section in self.sections:
            yield from section.walk()

    def runs(self) -> Iterator[tuple[Inline, ...]]:
        """Every run of inline text: preamble, clause bodies and table cells."""
        yield from block_inlines(self.preamble)
        for clause in self.clauses():
            yield from block_inlines(clause.body)
            if clause.table:
                for row in clause.table.rows:
                    yield from row


@dataclass(frozen=True)
class Term:
    source: schema.Term
    definition: tuple[Block, ...]

    @property
    def id(self) -> str:
        return self.source.id


@dataclass(frozen=True)
class Corpus:
    """All sources, resolved: the one model every renderer reads."""

    package: schema.Package
    documents: tuple[Document, ...]
    terms: tuple[Term, ...]
    statutes: tuple[schema.Statute, ...]
    _clauses: dict[str, Clause] = field(default_factory=dict, compare=False, repr=False)
    laws: dict[str, law.Snapshot] = field(default_factory=dict, compare=False, repr=False)  # cited statutes' snapshots

    def __post_init__(self) -> None:
        for doc in self.documents:
            for clause in doc.clauses():
                self._clauses[clause.id] = clause

    # Every lookup raises KeyError for an unknown id (a bare next() would raise
    # StopIteration, which a generator calling it turns into RuntimeError).

    def document(self, doc_id: str) -> Document:
        return _find(self.documents, doc_id)

    def clause(self, clause_id: str) -> Clause:
        return self._clauses[clause_id]

    def term(self, term_id: str) -> Term:
        return _find(self.terms, term_id)

    def statute(self, law: str) -> schema.Statute:
        return _find(self.statutes, law)

    def provision(self, cite: Cite, day) -> "law.Provision | None":
        """The text of a cited section in force on `day`, when a snapshot of its statute is kept."""
        snapshot = self.laws.get(cite.law)
        if snapshot is None or cite.section is None:
            return None
        chapter = None if cite.chapter is None else law.number(cite.chapter)
        return snapshot.provision(chapter, law.number(cite.section), day)


def _find(items, ident: str):
    for item in items:
        if item.id == ident:
            return item
    raise KeyError(ident)


# ---- loading --------------------------------------------------------------

@dataclass
class _Use:
    """An inline node found in some text, with what is needed to locate it."""

    node: Inline
    source: YamlFile
    path: KeyPath
    where: str
    doc: str | None


def load(sources: Path, *, root: Path | None = None, memo: "Memo | None" = None,
         keep_later: bool = False) -> tuple[Corpus | None, Problems]:
    """Load and check all sources; the corpus is None when any error was found.

    With a `memo` kept between calls (`avtal serve`), files unchanged since the last call are not read,
    parsed or validated again, and texts unchanged are not parsed again: only the edited file is.
    Without one, a load of sources loaded before (by content) is read back from disk (`snapshot`); any
    other starts from the memo of the last load of the same sources kept there, and is kept there before
    it returns, or with `keep_later` at the next `snapshot.flush()` (`avtal build` flushes while typst lays
    out) or at exit.
    """
    root = root or Path.cwd()
    kept_memo = memo is None
    if memo is None:  # a command's one load: kept on disk for the next command on the same sources
        where, files = _kept_in(sources), _inputs(sources)
        name, kept = snapshot.read(where, files, f"{sources}\0{sources.resolve()}\0{root.resolve()}")
        if kept is not None:
            return kept[0], kept[1]
        last = snapshot.previous(where, name)  # after an edit: what the last load read
        ok = isinstance(last, tuple) and len(last) == 3 and isinstance(last[2], Memo) and last[2].by_content
        memo = last[2] if ok else Memo(by_content=True)
    problems = Problems()
    loader = _Loader(sources, root, problems, memo)
    corpus = loader.run()
    loader.memo.forget_unused()
    if problems.errors:
        return None, problems
    if kept_memo:
        snapshot.write(where, name, (corpus, problems, loader.memo.on_disk()))
        if not keep_later:
            snapshot.flush()
    return corpus, problems


def _inputs(sources: Path) -> list[Path]:
    """Every file a load of `sources` reads: what its kept copy is keyed by (mirrors `_Loader`)."""
    named = [sources / PACKAGE_FILE, sources / TERMS_FILE, sources / STATUTES_FILE, sources / FROZEN_MARK]
    return [*named, *sorted((sources / DOCUMENTS_DIR).glob("*.yaml")),
            *sorted(law.snapshot_folder(sources).glob("*.yaml"))]


def _kept_in(sources: Path) -> Path:
    """CACHE_DIR/corpus beside the project's sources (a frozen version's, beside its project's)."""
    sources = sources.resolve()
    if (sources / FROZEN_MARK).exists() and sources.parent.name == "versions":
        sources = sources.parent.parent
    return sources.parent / CACHE_DIR / "corpus"


@dataclass
class Memo:
    """What one load read, for the next: each clean file by its stamp, each parsed text by its content.

    `avtal serve` keeps one in memory and stamps files by stat. A command keeps the last load's on disk
    with its kept load (`snapshot`) and stamps files by content (`by_content`), so the command after an
    edit parses only the edited file, and only the texts that changed. Only files read without any
    problem are kept (a file with problems is read again, so its problems are reported afresh); entries
    the last load did not use are dropped, so the memo does not grow with edits.
    """

    files: dict[tuple[Path, type], tuple[object, YamlFile | tuple[str, str], schema.Node]] = field(default_factory=dict)
    texts: dict[str, tuple[tuple[Block, ...], list]] = field(default_factory=dict)
    laws: dict[str, law.Snapshot] = field(default_factory=dict)  # statute snapshots by content (`law.read_snapshot`)
    by_content: bool = False
    used_files: set = field(default_factory=set)
    used_texts: set[str] = field(default_factory=set)
    used_laws: set[str] = field(default_factory=set)

    def forget_unused(self) -> None:
        self.files = {k: v for k, v in self.files.items() if k in self.used_files}
        self.texts = {k: v for k, v in self.texts.items() if k in self.used_texts}
        self.laws = {k: v for k, v in self.laws.items() if k in self.used_laws}
        self.used_files, self.used_texts, self.used_laws = set(), set(), set()

    def parse(self, text: str) -> tuple[tuple[Block, ...], list]:
        self.used_texts.add(text)
        found = self.texts.get(text)
        if found is None:
            found = self.texts[text] = parse_blocks(text)
        return found

    def statute_snapshot(self, name: str, make: Callable[[], law.Snapshot]) -> law.Snapshot:
        self.used_laws.add(name)
        found = self.laws.get(name)
        if found is None:
            found = self.laws[name] = make()
        return found

    def stamp(self, path: Path) -> tuple[bytes | None, object]:
        """(the file's bytes when read for the stamp, its stamp): its content's digest, or its stat."""
        if not self.by_content:
            return None, _stamp(path)
        from .yamlfile import MAX_BYTES

        try:
            raw = read_limited(path, MAX_BYTES)
        except OSError:  # the read proper says what is wrong
            return None, None
        return raw, hashlib.sha256(raw).digest()

    def on_disk(self) -> Memo:
        """This memo as kept on disk: each file's name and text instead of its parse (positions are parsed again
        only for a problem), so reading it back needs no YAML loader."""
        files = {k: (stamp, (s.file, s.text) if not isinstance(s, tuple) else s, node)
                 for k, (stamp, s, node) in self.files.items()}
        return Memo(files, self.texts, self.laws, by_content=self.by_content)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class _Loader:
    def __init__(self, sources: Path, root: Path, problems: Problems, memo: Memo):
        self.sources = sources
        self.root = root
        self.problems = problems
        self.memo = memo
        self.uses: list[_Use] = []
        self.failed_docs: set[str] = set()
        self.unparsed: dict[str, str] = {}  # file -> text of a file that is not YAML (searched for ids and uses)
        self.salvaged: set[int] = set()  # ids of objects `salvage` built from files with schema errors
        self.partial: dict[str, str] = {}  # doc id -> text of a document that was only partly checked
        self.clause_home: dict[str, tuple[str, Callable[[], Location]]] = {}  # clause id -> (doc id, where defined)

    def shown(self, path: Path) -> str:
        return relative(path, self.root)

    def read(self, path: Path, model: type[schema.Node], listed_as: str = ""):
        """(source, model) of a file; with schema errors, the model holds the parts that are valid (`salvage`)."""
        key = (path, model)
        raw, stamp = self.memo.stamp(path)
        kept = self.memo.files.get(key)
        if kept is not None and stamp is not None and kept[0] == stamp:
            self.memo.used_files.add(key)
            source = kept[1]
            if isinstance(source, tuple):  # kept on disk
                from .yamlfile import YamlFile

                source = YamlFile.unparsed(*source)
                self.memo.files[key] = (stamp, source, kept[2])
            return source, kept[2]
        before = len(self.problems.items)
        source, valid = self._read(path, model, listed_as, raw)
        if stamp is not None and valid is not None and len(self.problems.items) == before and id(valid) not in self.salvaged:
            self.memo.files[key] = (stamp, source, valid)
            self.memo.used_files.add(key)
        return source, valid

    def _read(self, path: Path, model: type[schema.Node], listed_as: str, raw: bytes | None):
        # Imported here, as only a load from scratch reads YAML and validates: a kept load needs neither
        # (pydantic and the YAML loader are ~70 ms of a start-up).
        from .validate import salvage, validate
        from .yamlfile import MAX_BYTES, read_yaml

        if not path.exists():
            why = f"'{listed_as}' is listed in {PACKAGE_FILE} but " if listed_as else ""
            self.problems.add(Location(self.shown(path)), f"missing file: {why}{self.shown(path)} does not exist")
            return None, None
        source = read_yaml(path, self.shown(path), self.problems, raw)
        if source is None:
            try:
                self.unparsed[self.shown(path)] = read_limited(path, MAX_BYTES).decode("utf-8", "replace")
            except OSError:
                pass
            return None, None
        valid = validate(model, source, self.problems)
        return source, valid if valid is not None else salvage(model, source.data, self.salvaged)

    def run(self) -> Corpus | None:
        _, package = self.read(self.sources / PACKAGE_FILE, schema.Package)
        terms_src, glossary = self.read(self.sources / TERMS_FILE, schema.Glossary)
        statutes_src, statutes = self.read(self.sources / STATUTES_FILE, schema.Statutes)
        files = sorted((self.sources / DOCUMENTS_DIR).glob("*.yaml"))
        listed = list(package.documents or ()) if package else [p.stem for p in files]
        for path in files:
            if package and path.stem not in listed:
                self.problems.add(Location(self.shown(path)),
                                  f"document '{path.stem}' is not listed in {PACKAGE_FILE}: add it to 'documents' "
                                  "there, or move the file out of documents/")
        documents: list[Document] = []
        for doc_id in listed:
            path = self.sources / DOCUMENTS_DIR / f"{doc_id}.yaml"
            source, doc = self.read(path, schema.Document, listed_as=doc_id)
            if doc is None:
                self.failed_docs.add(doc_id)
                continue
            if id(doc) in self.salvaged:  # text in the parts dropped may use terms: no false "never used"
                self.partial[doc_id] = source.text
                if not isinstance(doc.id, str):
                    doc = dataclasses.replace(doc, id=doc_id)
            if doc.id != doc_id:
                self.problems.add(source.location(("id",)), f"document id '{doc.id}' differs from its file name: "
                                  f"expected '{doc_id}' (ids and file names must agree)", where=doc.id)
            documents.append(self.document(source, doc))
        terms = self.glossary(terms_src, glossary) if glossary else ()
        statute_list = statutes.statutes or () if statutes else ()
        if statutes:
            self.unique(statutes_src, [(s.id, ("statutes", i, "id")) for i, s in enumerate(statute_list)], "statute")
        self.check_uses(documents, terms, statute_list, glossary is None, statutes is None)
        laws = self.check_law(documents, statute_list, statutes_src) if statutes else {}
        if package is None or glossary is None or statutes is None or self.problems.errors:
            return None
        return Corpus(package, tuple(documents), terms, statute_list, laws=laws)

    # -- documents --

    def document(self, source: YamlFile, doc: schema.Document) -> Document:
        preamble = self.blocks(doc.preamble, source, ("preamble",), doc.id, doc.id) if doc.preamble is not None else ()
        for i, basis in enumerate(doc.legal_basis):
            section = None if basis.section is None else str(basis.section)
            self.uses.append(_Use(Cite(basis.law, basis.chapter, section), source, ("legal_basis", i), doc.id, doc.id))
        sections = tuple(
            self.clause(source, c, (i + 1,), ("sections", i), doc.id) for i, c in enumerate(doc.sections)
        )
        return Document(doc, source.file, preamble, sections)

    def clause(self, source: YamlFile, c: schema.Clause, number: tuple[int, ...], path: KeyPath, doc: str) -> Clause:
        where = c.id
        location = partial(source.location, path + ("id",))  # looked up only for a problem
        if c.id in self.clause_home:
            other_doc, other = self.clause_home[c.id]
            self.problems.add(location(), f"duplicate id '{c.id}': already used at {other()}"
                              f"{'' if other_doc == doc else f' (document {other_doc})'}; ids must be unique "
                              "across all five documents", where=where)
        else:
            self.clause_home[c.id] = (doc, location)
        if len(number) > MAX_DEPTH:
            self.problems.add(location(), f"clause nested {len(number)} levels deep: expected at most {MAX_DEPTH} "
                              "(avsnitt → clause → sub-clause)", where=where)
        body: tuple[Block, ...] = ()
        if c.text is not None:
            if not c.text.strip():
                self.problems.add(source.location(path + ("text",)), "empty text: write the clause text, or remove "
                                  "the 'text' key", where=where)
            else:
                body = self.blocks(c.text, source, path + ("text",), where, doc)
        elif not c.clauses and c.table is None and id(c) not in self.salvaged:  # not a text dropped as invalid
            self.problems.add(location(), f"clause '{c.id}' is empty: expected 'text', 'table' or 'clauses'",
                              where=where)
        table = self.table(source, c.table, path + ("table",), where, doc) if c.table else None
        children = tuple(
            self.clause(source, child, number + (i + 1,), path + ("clauses", i), doc)
            for i, child in enumerate(c.clauses or ())
        )
        return Clause(c.id, c.title, number, doc, body, table, children)

    def table(self, source: YamlFile, t: schema.Table, path: KeyPath, where: str, doc: str) -> Table:
        rows = []
        for r, row in enumerate(t.rows):
            if len(row) != len(t.header):
                self.problems.add(source.location(path + ("rows", r)), f"table row has {len(row)} cells: expected "
                                  f"{len(t.header)}, one per header column", where=where)
            rows.append(tuple(self.inlines(cell, source, path + ("rows", r, i), where, doc) for i, cell in enumerate(row)))
        return Table(t.caption, t.header, tuple(rows))

    def glossary(self, source: YamlFile, glossary: schema.Glossary) -> tuple[Term, ...]:
        self.terms_source = source
        self.unique(source, [(t.id, ("terms", i, "id")) for i, t in enumerate(glossary.terms or ())], "term")
        return tuple(
            Term(t, self.blocks(t.definition, source, ("terms", i, "definition"), t.id, None)
                 if isinstance(t.definition, str) else ())
            for i, t in enumerate(glossary.terms or ())
        )

    def unique(self, source: YamlFile, ids: list[tuple[str, KeyPath]], what: str) -> None:
        first: dict[str, KeyPath] = {}
        for ident, path in ids:
            if ident in first:
                self.problems.add(source.location(path), f"duplicate {what} id '{ident}': already defined at "
                                  f"{source.location(first[ident])}", where=ident)
            else:
                first[ident] = path

    # -- text --

    def blocks(self, text: str, source: YamlFile, path: KeyPath, where: str, doc: str | None) -> tuple[Block, ...]:
        if not text.strip():
            self.problems.add(source.location(path), f"empty text in '{path[-1]}': write the text, or remove the key",
                              where=where)
            return ()
        blocks, issues = self.memo.parse(text)
        for issue in issues:
            self.problems.add(source.location(path, needle=issue.needle), issue.message, where=where)
        for inlines in block_inlines(blocks):
            self.collect(inlines, source, path, where, doc)
        return blocks

    def inlines(self, text: str, source: YamlFile, path: KeyPath, where: str, doc: str | None) -> tuple[Inline, ...]:
        issues: list = []
        inlines = parse_inlines(text, issues)
        for issue in issues:
            self.problems.add(source.location(path, needle=issue.needle), issue.message, where=where)
        self.collect(inlines, source, path, where, doc)
        return inlines

    def collect(self, inlines: tuple[Inline, ...], source: YamlFile, path: KeyPath, where: str, doc: str | None) -> None:
        for node in walk_inlines(inlines):
            if isinstance(node, (Ref, DocRef, TermUse, Cite)):
                self.uses.append(_Use(node, source, path, where, doc))

    # -- references --

    def check_uses(self, documents: list[Document], terms: tuple[Term, ...], statutes: tuple[schema.Statute, ...],
                   terms_failed: bool, statutes_failed: bool) -> None:
        doc_ids = {d.id for d in documents} | self.failed_docs
        term_ids = {t.id for t in terms}
        laws = {s.id: s for s in statutes}
        terms_text = self.unparsed.get(self.shown(self.sources / TERMS_FILE))
        statutes_text = self.unparsed.get(self.shown(self.sources / STATUTES_FILE))
        unchecked = [*self.partial.values(), *(self.unparsed_doc(d) or "" for d in self.failed_docs)]
        used_terms = {m for text in unchecked for m in re.findall(r"\{term:([^}|\s]+)", text)}
        for use in self.uses:
            node, add = use.node, self._adder(use)
            if isinstance(node, Ref):
                self.check_ref(node, add, doc_ids)
            elif isinstance(node, DocRef):
                if node.doc not in doc_ids:
                    add(f"{{doc:{node.doc}}} names no document{_guess(node.doc, doc_ids)}; expected one of: "
                        f"{', '.join(sorted(doc_ids))}", f"{{doc:{node.doc}")
            elif isinstance(node, TermUse):
                used_terms.add(node.term)
                if node.term not in term_ids and not (terms_failed and (terms_text is None
                                                                        or _defines(terms_text, node.term))):
                    add(f"dangling term use {{term:{node.term}}}: no such term in {TERMS_FILE}"
                        f"{_guess(node.term, term_ids)}", f"{{term:{node.term}")
            elif isinstance(node, Cite) and not statutes_failed:
                self.check_cite(node, add, laws)
            elif isinstance(node, Cite) and statutes_text is not None and not _defines(statutes_text, node.law):
                add(f"unknown statute '{node.law}': expected an id from {STATUTES_FILE}", f"{{lag:{node.law}")
        for term in terms:
            if term.id not in used_terms:
                path = ("terms", [t.id for t in terms].index(term.id), "id")
                self.problems.add(self.terms_source.location(path), f"term '{term.id}' is defined but never used: use it as "
                                  f"{{term:{term.id}}} or remove it from the glossary", where=term.id,
                                  severity="warning")

    def unparsed_doc(self, doc_id: str) -> str | None:
        """The text of a listed document that is not valid YAML (None when it could not be read at all)."""
        return self.unparsed.get(self.shown(self.sources / DOCUMENTS_DIR / f"{doc_id}.yaml"))

    def _adder(self, use: _Use):
        def add(message: str, needle: str | None = None) -> None:
            self.problems.add(use.source.location(use.path, needle=needle), message, where=use.where)
        return add

    def check_law(self, documents: list[Document], statutes: tuple[schema.Statute, ...],
                  statutes_src: YamlFile) -> dict[str, law.Snapshot]:
        """Every pinpoint against the statute snapshots, on the date each document applies from.

        In a frozen version (which can never be corrected) the findings are notes, checked first against
        the version's own date, one per kind: history is reported, never a reason to fail.
        """
        laws = {s.id: s for s in statutes}
        frozen = (self.sources / FROZEN_MARK).exists()
        # A document whose dates did not validate (salvaged from a file with errors) is not checked by date:
        # its date error is already reported, and a wrong date would only add false findings.
        starts = {d.id: d.source.valid_from for d in documents if isinstance(d.source.valid_from, dt.date)}
        first = min(starts.values(), default=None)
        citations: list[law.Citation] = []
        for use in self.uses:
            node = use.node
            if not isinstance(node, Cite) or node.law not in laws or first is None or (use.doc and use.doc not in starts):
                continue
            dates = [(starts.get(use.doc, first), "the document applies from" if use.doc else
                      "the glossary applies with the documents from")]
            if frozen and use.doc in starts:
                doc = next(d for d in documents if d.id == use.doc)
                if isinstance(doc.source.version_date, dt.date):
                    dates.insert(0, (doc.source.version_date, "the frozen version is dated"))
            needle = None if use.path[0] == "legal_basis" else "{lag:" + " ".join(filter(None, (node.law, node.pinpoint)))
            citations.append(law.Citation(node, partial(use.source.location, use.path, needle=needle), use.where,
                                          tuple(dates)))
        folder = law.snapshot_folder(self.sources)
        snapshots = law.read_snapshots(folder, {c.cite.law for c in citations}, self.problems, self.root,
                                       self.memo.statute_snapshot)
        law.check_pinpoints(citations, laws, snapshots, self.problems, severity="note" if frozen else "error",
                            group=frozen)
        if not frozen:
            ids = [s.id for s in statutes]
            law.missing_snapshots(citations, laws, snapshots,
                                  lambda i: statutes_src.location(("statutes", ids.index(i), "id")), self.problems,
                                  relative(folder, self.root))
        return snapshots

    def check_ref(self, ref: Ref, add, doc_ids: set[str]) -> None:
        needle = "{ref:" + (f"{ref.doc}:" if ref.doc else "") + ref.target
        home = self.clause_home.get(ref.target)
        if ref.doc is not None:
            if ref.doc not in doc_ids:
                add(f"{needle}}} names no document '{ref.doc}'{_guess(ref.doc, doc_ids)}", needle)
            elif ref.doc in self.failed_docs:
                text = self.unparsed_doc(ref.doc)
                if text is not None and not _defines(text, ref.target):
                    add(f"refers to {ref.doc} clause '{ref.target}', which does not exist in {ref.doc} (as far as "
                        f"can be told while {ref.doc} is not valid YAML)", needle)
            elif home is None or home[0] != ref.doc:
                ids = [i for i, (d, _) in self.clause_home.items() if d == ref.doc]
                elsewhere = f"; '{ref.target}' is in {home[0]}" if home else ""
                add(f"refers to {ref.doc} clause '{ref.target}', which does not exist in {ref.doc}"
                    f"{elsewhere}{_guess(ref.target, ids)}", needle)
        elif home is None and not any(_defines(self.unparsed_doc(d) or f"id: {ref.target}", ref.target)
                                      for d in self.failed_docs):
            add(f"dangling cross-reference {needle}}}: no clause in any document has this id"
                f"{_guess(ref.target, self.clause_home)}", needle)

    def check_cite(self, cite: Cite, add, laws: dict[str, schema.Statute]) -> None:
        needle = f"{{lag:{cite.law}"
        statute = laws.get(cite.law)
        if statute is None:
            add(f"unknown statute '{cite.law}': expected an id from {STATUTES_FILE}{_guess(cite.law, laws)}", needle)
        elif cite.chapter is not None and not statute.chapters:
            add(f"{statute.name} ({cite.law}) has no chapters: expected {{lag:{cite.law} N §}} without 'kap.'", needle)
        elif statute.chapters and cite.section is not None and cite.chapter is None:
            add(f"{statute.name} ({cite.law}) is divided into chapters: expected {{lag:{cite.law} N kap. "
                f"{cite.section} §}}", needle)


def _defines(text: str, ident: str) -> bool:
    """Whether a file that is not valid YAML has a line `id: IDENT` (so it probably defines that id)."""
    return re.search(rf"^[ \t-]*id:[ \t]*['\"]?{re.escape(ident)}['\"]?[ \t]*(#.*)?$", text, re.M) is not None


def _guess(word: str, candidates) -> str:
    found = get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{found[0]}'?" if found else ""
