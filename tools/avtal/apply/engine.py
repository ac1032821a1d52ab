"""`avtal apply`: a Word file's edits, clause by clause, three-way against the version it was made from.

The file names its document and the frozen version it was rendered from (custom
properties). That version is rendered again and read exactly as the edited file is read
(`reading`), so both give one line per paragraph in the same words; the two are compared
clause by clause. Each changed line maps to the unit of the source it came from (title,
paragraph, list item, caption, header or cell) and the new words are written back as
markup (`markup`) into the working YAML by line-level edits (`yamledit`).

Three-way: a clause whose source changed since that version is a conflict, shown with
all three texts, never applied. Nothing is written unless asked (`--accept-all`, or
`--review` clause by clause), and only when the edited sources still load.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

from ..fsutil import atomic_write_text
from ..model.corpus import Clause, Corpus, load
from ..model.problems import Location, Problems, SourceError, relative
from ..model.text import Para, Ref, Str, block_inlines, walk_inlines
from ..model.versions import load_version
from ..model.yamlfile import KeyPath, read_yaml
from ..remiss.incoming import draft_stream, readers, untrusted
from ..render.docx import render_docx
from ..render.wording import plain
from . import markup
from .reading import FRONT, GLOSSARY, Line, open_word_file, read_lines
from .yamledit import Edits, RawBlock, raw_blocks, join_blocks, wrap

Mode = Literal["dry-run", "accept-all", "review"]
PREAMBLE = "(preamble)"


@dataclass
class ClauseResult:
    """What happens to one clause: applied (edits), a conflict, or refused (with why)."""

    clause: str
    where: str  # "avsnitt 3.2 Vård i hemmet"
    status: Literal["edit", "conflict", "refused"]
    message: str = ""
    notes: list[str] = field(default_factory=list)
    changes: list[tuple[int, int, str]] = field(default_factory=list)
    texts: tuple[list[str], list[str], list[str]] | None = None  # version, sources, Word (a conflict)


@dataclass
class Report:
    """Everything `avtal apply` found: per clause results, Word comments, the YAML diff."""

    file: Path
    document: str
    version: str
    mode: Mode
    results: list[ClauseResult] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    diff: str = ""
    written: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)  # clause ids whose edits were chosen
    preface: list[str] = field(default_factory=list)
    edited: str = "Word file"  # what the edited text is called when a conflict is shown

    @property
    def ok(self) -> bool:
        return all(r.status == "edit" for r in self.results)

    def __str__(self) -> str:
        out = [f"{self.file}: {self.document}, made from version {self.version}"]
        out += [f"  {line}" for line in self.preface]
        edits = [r for r in self.results if r.status == "edit"]
        for r in self.results:
            if r.status == "edit":
                named = f" ({r.clause})" if r.clause != PREAMBLE else ""
                out.append(f"  {'edited' if r.changes else 'unchanged'} {r.where}{named}")
            elif r.status == "conflict":
                out.append(f"  CONFLICT {r.where} ({r.clause}): {r.message}")
                for label, lines in zip((f"version {self.version}", "sources now", self.edited), r.texts or ()):
                    out.append(f"    --- {label}:")
                    out.extend(f"      {line}" for line in lines)
            else:
                out.append(f"  NOT APPLIED {r.where} ({r.clause}): {r.message}")
            out.extend(f"    note: {n}" for n in r.notes)
        if self.comments:
            out.append(f"  {len(self.comments)} Word comment(s), for whoever applies the edits:")
            out.extend(f"    {c}" for c in self.comments)
        if not self.results:
            out.append("  no edits in the clauses")
        if self.diff:
            out.append(self.diff.rstrip("\n"))
        if self.written:
            out.append(f"wrote {', '.join(self.written)}")
        elif any(r.changes for r in edits) and self.mode == "dry-run":
            out.append("dry run: nothing written (use --accept-all to write these edits, --review to choose)")
        return "\n".join(out)


def _fail(where: str, message: str) -> SourceError:
    problems = Problems()
    problems.add(Location(where), message)
    return SourceError(problems)


def apply_word_file(sources: Path, path: Path, mode: Mode = "dry-run", *, base: str | None = None,
                    ask: Callable[[str], str] | None = None) -> Report:
    """Read `path`, work out its edits against the version it names, and (unless a dry run) write them."""
    shown = str(path)
    try:
        pkg = open_word_file(path)
    except untrusted.UntrustedFileError as exc:
        raise _fail(shown, f"{exc.reason}; expected {exc.expected}") from None
    working, problems = load(sources)
    if working is None:
        raise SourceError(problems)
    info = readers.identify_draft(pkg, working)  # a file without our properties, known by title and diarienummer
    if info is None:
        raise _fail(shown, "not one of our Word files (no 'avtal.document' property): expected a document or "
                    "redline made by avtal build, avtal redline or avtal remiss pack")
    version = base or info.version
    if version is None:
        raise _fail(shown, "the file does not name the version it was made from (a working build or a redline): "
                    "pass --base VERSION: the frozen version a redline shows (its TO), or the git commit a build "
                    "was made from (--base HEAD when the sources are committed and unchanged since)")
    old, _ = load_version(sources, version)
    if info.document not in {d.id for d in old.documents}:
        raise _fail(shown, f"document '{info.document}' is not in version {version}")
    word = read_lines(pkg, old, info.document)
    sent = read_lines(_render_lines(old, info.document), old, info.document)
    report = Report(Path(path), info.document, version, mode)
    formatting = _formatting_changes(pkg)
    if formatting:
        report.preface.append(f"{formatting} tracked formatting change(s) (bold, italics, styles) are not applied: "
                              "only words and paragraphs are")
    clauses = [(c, sent.get(c.id, []), word.get(c.id)) for c in old.document(info.document).clauses()]
    report.comments = _comments(pkg, old, info)
    return apply_clause_lines(sources, old, working, report, clauses, ask=ask,
                              outside=lambda planner: planner.outside(sent, word))


def apply_clause_lines(sources: Path, old: Corpus, working: Corpus, report: Report,
                       clauses: list[tuple[Clause, list[Line], list[Line] | None]], *,
                       ask: Callable[[str], str] | None = None, outside=None) -> Report:
    """Plan each clause's edit (paragraphs as the version renders them, and as edited), then write unless a dry run."""
    doc_file = sources / "documents" / f"{report.document}.yaml"
    loaded = read_yaml(doc_file, relative(doc_file), Problems())
    if loaded is None:
        raise _fail(relative(doc_file), "cannot read the document's source")
    planner = _Planner(old, working, report.document, loaded)
    for clause, sent, word in clauses:
        result = planner.clause(clause, sent, word)
        if result is not None:
            report.results.append(result)
    if outside is not None:
        report.results.extend(outside(planner))
    chosen = [r for r in report.results if r.status == "edit"]
    if report.mode == "review":
        chosen = [r for r in chosen if _ask(ask or input, r, loaded)]
    report.applied = [r.clause for r in chosen]
    new_text = Edits(loaded, [c for r in chosen for c in r.changes]).result()
    if new_text != loaded.text:
        shown = relative(doc_file).lstrip("/")
        report.diff = "".join(difflib.unified_diff(loaded.text.splitlines(True), new_text.splitlines(True),
                                                   f"a/{shown}", f"b/{shown}"))
        if report.mode != "dry-run":
            _check_loads(sources, doc_file, new_text)
            atomic_write_text(doc_file, new_text)
            report.written.append(relative(doc_file))
    return report


def _ask(ask: Callable[[str], str], result: ClauseResult, loaded) -> bool:
    text = Edits(loaded, list(result.changes)).result()
    diff = "".join(difflib.unified_diff(loaded.text.splitlines(True), text.splitlines(True), n=1))
    print(diff)
    answer = ask(f"apply the edit to {result.where} ({result.clause})? [y/N] ")
    return answer.strip().lower() in ("y", "yes", "j", "ja")


def _check_loads(sources: Path, doc_file: Path, text: str) -> None:
    """Refuse to write edits the sources would not load with (every problem reported)."""
    with tempfile.TemporaryDirectory(prefix="avtal-apply-") as tmp:
        copy = Path(tmp) / "sources"
        shutil.copytree(sources, copy, ignore=shutil.ignore_patterns("versions", "remiss"))
        (copy / "documents" / doc_file.name).write_text(text, encoding="utf-8")
        corpus, problems = load(copy, root=Path(tmp))
    if corpus is None or problems.errors:
        problems.add(Location(relative(doc_file)), "nothing written: with these edits the sources would not load "
                     "(the problems above); change the Word file or apply the edits by hand")
        raise SourceError(problems)


def _render_lines(corpus: Corpus, document: str) -> untrusted.OfficePackage:
    """The document as the version renders it, read back through the same gate as the edited file."""
    data = render_docx(corpus, corpus.document(document), dt.datetime(2000, 1, 1))
    with tempfile.TemporaryDirectory(prefix="avtal-apply-") as tmp:
        path = Path(tmp) / f"{document}.docx"
        path.write_bytes(data)
        return open_word_file(path)


def _formatting_changes(pkg: untrusted.OfficePackage) -> int:
    root = pkg.xml(readers.DOCUMENT_PART)
    if root is None:
        return 0
    w = f"{{{draft_stream.W}}}"
    return sum(1 for _ in root.iter(f"{w}rPrChange", f"{w}pPrChange"))


def _comments(pkg: untrusted.OfficePackage, corpus: Corpus, info: readers.DraftInfo) -> list[str]:
    out = []
    for raw in readers.read_draft(pkg, corpus, info):
        if raw.source != "word-comment":
            continue
        where = _where(corpus, raw.clause) if raw.clause else "the document"
        who = f"{raw.author or 'unknown'}{f', {raw.date}' if raw.date else ''}"
        quote = f" (on “{raw.quote}”)" if raw.quote else ""
        out.append(f"{where}: {who}: {' '.join(raw.text.split())}{quote}")
    return out


def _where(corpus: Corpus, clause_id: str) -> str:
    try:
        c = corpus.clause(clause_id)
    except KeyError:
        return clause_id
    return f"avsnitt {c.label} {c.title}"


# ---- one clause -------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """What one rendered paragraph of a clause came from."""

    kind: Literal["title", "para", "item", "caption", "header", "cell"]
    block: int = 0  # para/item: block index; header/cell: column
    index: int = 0  # item: index in the list; cell: row


def units(clause: Clause) -> list[Unit]:
    """A clause's units in the order its Word rendering has them, one paragraph each."""
    out = [Unit("title")]
    for b, block in enumerate(clause.body):
        if isinstance(block, Para):
            out.append(Unit("para", b))
        else:
            out.extend(Unit("item", b, i) for i in range(len(block.items)))
    if clause.table is not None:
        if clause.table.caption:
            out.append(Unit("caption"))
        out.extend(Unit("header", j) for j in range(len(clause.table.header)))
        out.extend(Unit("cell", j, r) for r, row in enumerate(clause.table.rows) for j in range(len(row)))
    return out


def _join(parts) -> tuple:
    """Inline runs of several paragraphs as one, a space between (how Word reads them once joined)."""
    out: list = []
    for part in parts:
        out += [*([Str(" ")] if out else []), *part]
    return tuple(out)


def clause_lines(corpus: Corpus, clause: Clause) -> list[Line]:
    """A clause's paragraphs as its Word rendering reads, one per unit, straight from the model."""
    out = []
    for unit in units(clause):
        if unit.kind == "title":
            out.append(Line(f"{clause.label} {clause.title}", "Heading"))
        elif unit.kind == "para":
            out.append(Line(plain(corpus, clause.doc, clause.body[unit.block].inlines)))
        elif unit.kind == "item":
            out.append(Line(plain(corpus, clause.doc, clause.body[unit.block].items[unit.index]), listed=True))
        elif unit.kind == "caption":
            out.append(Line(clause.table.caption or ""))
        elif unit.kind == "header":
            out.append(Line(clause.table.header[unit.block], cell=(0, 0, unit.block)))
        else:
            out.append(Line(plain(corpus, clause.doc, clause.table.rows[unit.index][unit.block]),
                            cell=(0, unit.index + 1, unit.block)))
    return [Line(" ".join(line.text.split()), line.style, line.listed, line.cell) for line in out]


def _find_clause(data, clause_id: str, path: KeyPath = ()) -> KeyPath | None:
    if isinstance(data, dict):
        if data.get("id") == clause_id and "title" in data:
            return path
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        found = _find_clause(value, clause_id, path + (key,))
        if found is not None:
            return found
    return None


class _Planner:
    """Decides, clause by clause, whether an edit applies, conflicts or is refused."""

    def __init__(self, old: Corpus, working: Corpus, document: str, loaded):
        self.old, self.working, self.document, self.loaded = old, working, document, loaded
        self.known: dict[str, str] = {}  # rendered text of every paragraph and list item -> its markup
        for clause in old.document(document).clauses():
            for inlines in block_inlines(clause.body):
                shown, source = markup.source_of(old, document, inlines)
                self.known.setdefault(" ".join(shown.split()), source)

    def where(self, clause: Clause) -> str:
        return f"avsnitt {clause.label} {clause.title}"

    def lines_now(self, clause: Clause) -> list[str]:
        """A clause of the working sources as plain lines (for showing a conflict)."""
        return [line.text for line in clause_lines(self.working, clause)]

    def clause(self, clause: Clause, sent: list[Line], word: list[Line] | None) -> ClauseResult | None:
        result = ClauseResult(clause.id, self.where(clause), "edit")
        sent_text = [line.text for line in sent]
        word_text = [line.text for line in word or []]
        if word is not None and sent_text == word_text:
            return None
        if not word_text or word is None:
            refs = sorted({c.id for d in self.working.documents for c in d.clauses()
                           for inlines in block_inlines(c.body) for n in walk_inlines(inlines)
                           if isinstance(n, Ref) and n.target == clause.id})
            result.status = "refused"
            result.message = ("the clause was deleted in Word: deleting a clause is never applied automatically"
                              + (f" ({len(refs)} clause(s) refer to it: {', '.join(refs)})" if refs else "")
                              + "; delete it in the YAML if that is meant")
            return result
        try:
            now = self.working.clause(clause.id)
        except KeyError:
            now = None
        if now is not None and self.lines_now(now) == word_text:
            result.notes.append("the sources already read like this: nothing to do")
            return result
        if now is None or (now.title, now.body, now.table) != (clause.title, clause.body, clause.table):
            result.status = "conflict"
            result.message = ("changed in the sources since the file was made" if now else
                              "deleted from the sources since the file was made") + ": not applied; merge by hand"
            result.texts = (sent_text, self.lines_now(now) if now else [], word_text)
            return result
        path = _find_clause(self.loaded.data, clause.id)
        mapped = units(clause)
        if path is None or len(mapped) != len(sent):
            result.status = "refused"
            result.message = "its text in Word could not be matched paragraph by paragraph; apply it by hand"
            return result
        _ClauseEditor(self, clause, path, mapped, result).run(sent, word)
        return result

    def outside(self, sent: dict[str, list[Line]], word: dict[str, list[Line]]) -> list[ClauseResult]:
        """The preamble's edits, like a clause's; edits to the title page, contents or glossary are refused."""
        out = []
        head_sent, preamble_sent = _split_front(sent.get(FRONT, []))
        head_word, preamble_word = _split_front(word.get(FRONT, []))
        for key, where, a, b in ((FRONT, "the title page or contents", head_sent, head_word),
                                 (GLOSSARY, "the glossary appendix", sent.get(GLOSSARY, []), word.get(GLOSSARY, []))):
            a = [line.text for line in a if not line.style.lower().startswith(("toc", "contents"))]
            b = [line.text for line in b if not line.style.lower().startswith(("toc", "contents"))]
            if a != b:
                changed = [line for line in b if line not in a][:3]
                out.append(ClauseResult(key, where, "refused", "edits here are not applied (the title page and "
                                        "contents are generated; the glossary is edited in terms.yaml)"
                                        + (f": “{changed[0]}”" if changed else "")))
        if [line.text for line in preamble_sent] != [line.text for line in preamble_word]:
            out.append(self.preamble(preamble_sent, preamble_word))
        return out

    def preamble(self, sent: list[Line], word: list[Line]) -> ClauseResult:
        """The document's preamble, edited as a clause's text (it has no heading)."""
        result = ClauseResult(PREAMBLE, "the preamble", "edit")
        old, now = self.old.document(self.document), self.working.document(self.document)
        text = lambda corpus, doc: [" ".join(plain(corpus, doc.id, i).split()) for i in block_inlines(doc.preamble)]
        if now.preamble != old.preamble:
            result.status = "conflict"
            result.message = "changed in the sources since the file was made: not applied; merge by hand"
            result.texts = ([line.text for line in sent], text(self.working, now), [line.text for line in word])
            return result
        body = Clause(PREAMBLE, "", (), self.document, old.preamble, None, ())
        mapped = units(body)
        if "preamble" not in self.loaded.data or len(mapped) != len(sent) + 1:
            result.status = "refused"
            result.message = "its text in Word could not be matched paragraph by paragraph; apply it by hand"
            return result
        top = Line("", "Heading")  # stands for the heading a preamble does not have
        _ClauseEditor(self, body, (), mapped, result, key="preamble").run([top, *sent], [top, *word])
        return result


def _split_front(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """The front matter as (title page and contents, preamble): the preamble follows the contents' last line."""
    ends = [i for i, line in enumerate(lines) if not line.text or line.style.lower().startswith(("toc", "contents"))]
    cut = max(ends, default=-1)
    return lines[:cut + 1], lines[cut + 1:]


class _ClauseEditor:
    """Turns one clause's changed lines into YAML edits."""

    def __init__(self, planner: _Planner, clause: Clause, path: KeyPath, mapped: list[Unit], result: ClauseResult,
                 key: str = "text"):
        self.p, self.clause, self.path, self.units, self.result = planner, clause, path, mapped, result
        self.key = key  # the key holding the text: a clause's "text", or the document's "preamble"
        self.edits = Edits(planner.loaded)
        source = planner.loaded.data
        for part in path:
            source = source[part]
        self.source = source
        self.blocks: list[RawBlock] | None = raw_blocks(source[key]) if source.get(key) else []
        self.body_changed = False
        self.deleted_rows: set[int] = set()

    def refuse(self, message: str) -> None:
        self.result.status = "refused"
        self.result.message = message

    def run(self, sent: list[Line], word: list[Line]) -> None:
        matcher = difflib.SequenceMatcher(None, [l.text for l in sent], [l.text for l in word], autojunk=False)
        inserts: list[tuple[int, list[Line]]] = []
        cell_deletes: dict[int, set[int]] = {}
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for k in range(pairs):
                # paragraphs joined in Word: the last one paired reads against all the units it took in
                joined = [self.inlines_of(u) for u in self.units[i1 + k:i2]] if k == pairs - 1 else []
                self.set(self.units[i1 + k], word[j1 + k],
                         _join(joined) if len(joined) > 1 and all(x is not None for x in joined) else None,
                         part=k == pairs - 1 and j2 - j1 > pairs)
            for k in range(i1 + pairs, i2):
                unit = self.units[k]
                if unit.kind == "cell":
                    cell_deletes.setdefault(unit.index, set()).add(unit.block)
                else:
                    self.delete(unit)
            if j1 + pairs < j2:  # a paragraph split in Word: the new part reads against the one it came from
                split = self.inlines_of(self.units[i1 + pairs - 1]) if pairs else None
                inserts.append((i1 + pairs - 1, word[j1 + pairs:j2], split or ()))
        for row, columns in cell_deletes.items():
            if len(columns) == len(self.clause.table.header):
                self.deleted_rows.add(row)
                self.edits.delete_item(self.path + ("table", "rows", row))
            else:
                self.refuse(f"a cell of row {row + 1} of the table was deleted: a table keeps its columns; "
                            "empty the cell's text instead, or change the table in the YAML")
        for after, lines, split in inserts:
            self.insert(after, lines, split)
        if self.result.status != "edit":
            return
        if self.body_changed:
            if self.blocks is None:
                return self.refuse("its text is written in a way that cannot be edited paragraph by paragraph")
            value = join_blocks(self.blocks)
            if self.key in self.source:
                self.edits.set_text(self.path + (self.key,), value)
            else:
                self.edits.add_text(self.path, value)
        self.result.changes = self.edits.changes

    # -- units --

    def rewrite(self, inlines, text: str, part: bool = False) -> str:
        """Markup for `text`; `part` when it holds only part of `inlines` (a split paragraph's half)."""
        written = markup.rewrite(self.p.old, self.clause.doc, inlines, text)
        self.result.notes.extend(n for n in written.notes if not (part and n.endswith(" was deleted")))
        return written.source

    def inlines_of(self, unit: Unit):
        """The inline markup a paragraph, list item or cell was written with (None for other units)."""
        if unit.kind == "para":
            return self.clause.body[unit.block].inlines
        if unit.kind == "item":
            return self.clause.body[unit.block].items[unit.index]
        if unit.kind == "cell":
            return self.clause.table.rows[unit.index][unit.block]
        return None

    def set(self, unit: Unit, line: Line, joined=None, part: bool = False) -> None:
        table = self.path + ("table",)
        if unit.kind == "title":
            if not line.heading:
                return self.delete(unit)  # its mark was deleted: the heading ran into the paragraph after it
            title = line.text[len(self.clause.label):] if line.text.startswith(self.clause.label) else line.text
            if not title.strip():
                return self.refuse("its heading was emptied in Word")
            self.edits.set_line(self.path + ("title",), title.strip())
        elif unit.kind == "caption":
            self.edits.set_line(table + ("caption",), line.text)
        elif unit.kind == "header":
            self.edits.set_line(table + ("header", unit.block), line.text)
        elif unit.kind == "cell":
            cell = joined or self.clause.table.rows[unit.index][unit.block]
            self.edits.set_line(table + ("rows", unit.index, unit.block), self.rewrite(cell, line.text, part))
        elif self.blocks is not None:
            block = self.clause.body[unit.block]
            raw = self.blocks[unit.block]
            raw.touched = self.body_changed = True
            if unit.kind == "para":
                raw.lines = wrap(self.rewrite(joined or block.inlines, line.text, part), raw.lines)
            else:
                item = raw.items[unit.index]
                prefix = re.match(r"\s*(?:[-*]|\d+[.)]) +", item[0]).group()
                raw.items[unit.index] = wrap(self.rewrite(joined or block.items[unit.index], line.text, part),
                                             item, prefix)
        else:
            self.body_changed = True

    def delete(self, unit: Unit) -> None:
        if unit.kind == "title":
            return self.refuse("its heading was deleted but not its text: merging clauses is not applied "
                               "automatically; move the text in the YAML")
        if unit.kind in ("caption", "header"):
            return self.refuse(f"the table's {unit.kind} was deleted: a table keeps its {unit.kind}; change it "
                               "in the YAML")
        self.body_changed = True
        if self.blocks is None:
            return
        raw = self.blocks[unit.block]
        raw.touched = True
        if unit.kind == "para":
            raw.lines = []
        else:
            raw.items[unit.index] = []  # dropped when joined; indices of the other items stay valid

    def insert(self, after: int, lines: list[Line], split=()) -> None:
        """New paragraphs (or list items, or table rows) after the unit at index `after`."""
        headings = [line.text for line in lines if line.heading]
        if headings:
            return self.refuse(f"a new heading “{headings[0]}” was added: a new clause needs an id; add it in "
                               "the YAML (its text is in the Word file)")
        rows: dict[tuple[int, int], list[str]] = {}
        for line in lines:
            if line.cell is not None:
                rows.setdefault(line.cell[:2], []).append(line.text)
        if rows:
            return self.insert_rows(after, rows)
        previous = self.units[after] if after >= 0 else Unit("title")
        if self.blocks is None:
            self.body_changed = True
            return
        self.body_changed = True
        if previous.kind in ("caption", "header", "cell"):
            self.result.notes.append("text typed after the table is written at the end of the clause's text "
                                     "(the table always comes last)")
            position, item_at = len(self.blocks), None
        elif previous.kind == "title":
            position, item_at = 0, None
        else:
            position = self.blocks.index(self._live(previous.block)) + 1
            item_at = previous.index if previous.kind == "item" else None
        for line in lines:
            # moved text keeps its markup; a split-off part reads against the paragraph it came from
            source = self.p.known.get(line.text) or self.rewrite(split, line.text, part=bool(split))
            if line.listed and item_at is not None:
                raw = self.blocks[position - 1]
                prefix = re.match(r"\s*(?:[-*]|\d+[.)]) +", raw.items[item_at][0]).group() if raw.items else "- "
                raw.items.insert(item_at + 1, wrap(source, raw.items[item_at] if raw.items else [], prefix))
                raw.touched = True
                item_at += 1
                continue
            like = next((b.lines for b in self.blocks if b.kind == "para" and b.lines), [])
            block = (RawBlock("list", items=[wrap(source, like, "- ")], original=False) if line.listed
                     else RawBlock("para", lines=wrap(source, like), original=False))
            self.blocks.insert(position, block)
            position += 1
            item_at = 0 if line.listed else None

    def _live(self, index: int) -> RawBlock:
        """The raw block that stood at `index` in the clause's body (new blocks may have been inserted)."""
        originals = [b for b in self.blocks if b.original]
        return originals[index]

    def insert_rows(self, after: int, rows: dict[tuple[int, int], list[str]]) -> None:
        previous = self.units[after] if after >= 0 else None
        if previous is None or previous.kind not in ("cell", "header"):
            return self.refuse("a new table was added: add the table in the YAML")
        anchor = previous.index if previous.kind == "cell" else -1
        if anchor < 0:
            return self.refuse("a new first row of the table: add it in the YAML")
        width = len(self.clause.table.header)
        for cells in reversed(list(rows.values())):  # each goes right after the anchor row: reverse keeps order
            if len(cells) != width:
                return self.refuse(f"a new table row has {len(cells)} cells, the table {width}")
            self.edits.add_row_after(self.path + ("table", "rows", anchor),
                                     [self.rewrite((), text) for text in cells])
