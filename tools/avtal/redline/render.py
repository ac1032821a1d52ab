"""Presenting a change set with the ordinary renderers: tracked changes in Word, marks in PDF and web.

`RedlineBuilder` is a `TreeBuilder` that walks the diff's display tree
instead of the document: unchanged and merely renumbered clauses render as
usual (no marks), new and deleted ones as whole insertions or deletions,
changed ones word by word. Insertions and deletions are pandoc spans with
class insertion/deletion, which our Word writer turns into native
w:ins/w:del and our typst and html show underlined/struck through. A moved
clause is shown at its new place with a note "Flyttad från avsnitt …" (a
Word comment, so accepting or rejecting changes never touches it). `notes`
(clause id → text, e.g. the remiss comments behind a change) are shown the
same way at the clause's heading.
"""

from __future__ import annotations

import datetime as dt
from difflib import SequenceMatcher
from typing import Any

from ..model import Clause
from ..model.text import Str
from ..render import ast, wording
from ..render.tree import APPENDIX_FORMATS, Format, TreeBuilder
from .diff import CHANGED, DELETED, MOVED, NEW, RENUMBERED, ChangeSet, DocumentChange, Node, Side
from .words import Token, diff, match_words, tokens

KIND_LABEL = {NEW: "Ny", DELETED: "Borttagen", CHANGED: "Ändrad", MOVED: "Flyttad", RENUMBERED: "Nytt nummer"}
PAIR_THRESHOLD = 0.3  # units less alike than this are shown as deleted + inserted, not word by word


def version_names(changes: ChangeSet) -> tuple[str, str]:
    """What readers call FROM and TO (titles, or status and date); the slugs stay in folder names."""
    return (wording.version_name(changes.old, changes.from_title),
            wording.version_name(changes.new, changes.to_title))


def kinds_label(kinds: frozenset[str]) -> str:
    return ", ".join(KIND_LABEL[k] for k in (NEW, DELETED, MOVED, CHANGED, RENUMBERED) if k in kinds).capitalize()


def strip_links(nodes: Any) -> Any:
    """Deleted text keeps its words but not its links (their targets may be gone)."""
    if isinstance(nodes, list):
        out = []
        for node in nodes:
            if isinstance(node, dict) and node.get("t") == "Link":
                out.extend(strip_links(node["c"][1]))
            else:
                out.append(strip_links(node))
        return out
    if isinstance(nodes, dict) and "c" in nodes:
        return {**nodes, "c": strip_links(nodes["c"])}
    return nodes


class RedlineBuilder(TreeBuilder):
    def __init__(self, changes: ChangeSet, change: DocumentChange, fmt: Format, when: dt.datetime,
                 notes: dict[str, str] | None = None):
        doc = change.new or change.old
        super().__init__(changes.new if change.new else changes.old, doc, fmt)  # type: ignore[arg-type]
        self.changes, self.change = changes, change
        self.old = TreeBuilder(changes.old, change.old, fmt) if change.old else None
        self.old_side, self.new_side = changes.sides or (Side(changes.old), Side(changes.new))
        self.in_redline = {d.id for d in changes.documents if d.has_text_changes}
        self.author = wording.GROUP
        self.date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.comments = 0
        self.notes = notes or {}

    # -- links point at the redline's copy of a document, else at the published edition --

    def doc_url(self, doc_id: str, anchor: str = "", fmt: Format | None = None) -> str:
        fmt = fmt or self.fmt
        if doc_id == self.doc.id:
            return f"#{anchor}" if anchor else "#"
        if fmt is None:
            return super().doc_url(doc_id, anchor)
        ext = {"typst": "pdf", "docx": "docx", "html": "html"}[fmt]
        if doc_id in self.in_redline:
            target = f"{doc_id}.{ext}"
        else:
            target = f"../../web/{doc_id}.html" if fmt == "html" else f"../../{doc_id}.{ext}"
        return f"{target}#{anchor}" if anchor else target

    def term_url(self, term_id: str, fmt: Format | None = None) -> str:
        fmt = fmt or self.fmt
        return "../../web/" + super().term_url(term_id, fmt) if fmt == "html" else super().term_url(term_id, fmt)

    # -- marks --

    def mark(self, op: str, inlines: list[ast.Node]) -> ast.Node:
        cls = "insertion" if op == "insert" else "deletion"
        if op == "delete":
            inlines = strip_links(inlines)
        if self.fmt in ("html", None):  # <ins>/<del> carry the meaning for assistive technology, not just the look
            tag = "ins" if op == "insert" else "del"
            inlines = [ast.raw_inline("html", f'<{tag} datetime="{self.date}">'), *inlines,
                       ast.raw_inline("html", f"</{tag}>")]
        return ast.span(inlines, ast.attr(classes=[cls], author=self.author, date=self.date))

    def mark_blocks(self, blocks: list[ast.Node], op: str) -> list[ast.Node]:
        """Every inline run inside these blocks wrapped as inserted or deleted."""
        out = []
        for block in blocks:
            kind, c = block["t"], block.get("c")
            if kind in ("Para", "Plain"):
                out.append({"t": kind, "c": [self.mark(op, c)] if c else c})
            elif kind == "Header":
                out.append({"t": kind, "c": [c[0], c[1], [self.mark(op, c[2])]]})
            elif kind == "BulletList":
                out.append({"t": kind, "c": [self.mark_blocks(item, op) for item in c]})
            elif kind == "OrderedList":
                out.append({"t": kind, "c": [c[0], [self.mark_blocks(item, op) for item in c[1]]]})
            elif kind == "Table":
                out.append(self._mark_table(block, op))
            elif kind == "Div":
                out.append({"t": "Div", "c": [c[0], self.mark_blocks(c[1], op)]})
            else:
                out.append(block)
        return out

    def _mark_table(self, table: ast.Node, op: str) -> ast.Node:
        attr, caption, cols, head, bodies, foot = table["c"]
        caption = [caption[0], self.mark_blocks(caption[1], op)]

        def rows(rs):
            return [[r[0], [[cell[0], cell[1], cell[2], cell[3], self.mark_blocks(cell[4], op)] for cell in r[1]]]
                    for r in rs]

        head = [head[0], rows(head[1])]
        bodies = [[b[0], b[1], rows(b[2]), rows(b[3])] for b in bodies]
        return {"t": "Table", "c": [attr, caption, cols, head, bodies, foot]}

    def runs(self, old: list[Token], new: list[Token], matched: SequenceMatcher | None = None) -> list[ast.Node]:
        """Inlines of a word-by-word diff (`matched`: the pair's word matching, if already made)."""
        out: list[ast.Node] = []
        for op, toks in diff(old, new, matched):
            builder = self.old if op == "delete" else self
            inlines: list[ast.Node] = []
            for token in toks:
                node = token.node
                if type(node) is Str:  # a word (or the empty gap token): one Str, as `inline` would give
                    if node.text:
                        inlines.append({"t": "Str", "c": node.text})
                else:
                    inlines.extend(builder.inline(node))  # type: ignore[union-attr]
                if token.space:
                    inlines.append({"t": "Space"})
            out.extend(inlines if op == "equal" else [self.mark(op, inlines)])
        return out

    # -- the glossary appendix (Word and PDF; the web glossary is the published one) --

    def glossary(self) -> list[ast.Node]:
        """Terms as in TO; a term added, removed, renamed or redefined is shown as old entry out, new entry in."""
        old_doc, new_doc = self.change.old, self.change.new
        if self.fmt == "html" or old_doc is None or new_doc is None:
            return super().glossary()
        old = {t.id: t for t in wording.terms_used(self.changes.old, old_doc)}
        new = {t.id: t for t in wording.terms_used(self.changes.new, new_doc)}
        if old.keys() == new.keys() and all(old[i].source == new[i].source for i in old):
            return super().glossary()
        key = lambda tid: wording.swedish_key((new.get(tid) or old[tid]).source.term)  # noqa: E731
        out = [self.glossary_heading()]
        for tid in sorted(old.keys() | new.keys(), key=key):
            a, b = old.get(tid), new.get(tid)
            if a is not None and b is not None and a.source == b.source:
                out.extend(self.term_entry(tid))
                continue
            if a is not None:  # without its anchor: the new entry (if any) keeps it
                out.extend(self.mark_blocks(_without_ids(self.old.term_entry(tid)), "delete"))  # type: ignore[union-attr]
            if b is not None:
                out.extend(self.mark_blocks(self.term_entry(tid), "insert"))
        return [ast.only(out, *APPENDIX_FORMATS)] if self.fmt is None else out

    # -- the display tree --

    def preamble(self) -> list[ast.Node]:
        if not (self.change.preamble_changed and self.change.old and self.change.new):
            return super().preamble()
        blocks = self.changed_units(self.old_side.units_of(self.change.old.preamble),
                                    self.new_side.units_of(self.change.new.preamble))
        return [ast.div(blocks, ast.attr(classes=["changed"]))]

    def sections(self) -> list[ast.Node]:
        out: list[ast.Node] = []
        for node in self.change.tree:
            out.extend(self.node(node))
        return out

    def node(self, node: Node) -> list[ast.Node]:
        change = node.change
        kinds = change.kinds
        if DELETED in kinds:
            blocks = self.mark_blocks(self.old.own(change.old), "delete")  # type: ignore[union-attr]
        elif NEW in kinds:
            blocks = self.mark_blocks(self.own(change.new), "insert")  # type: ignore[arg-type]
        elif CHANGED in kinds:
            blocks = self.changed(change.old, change.new)  # type: ignore[arg-type]
        else:
            blocks = self.own(change.new)  # type: ignore[arg-type]
        notes = []
        if MOVED in kinds:
            notes.append((f"Flyttad från avsnitt {change.old.label} i {version_names(self.changes)[0]}.", None))  # type: ignore[union-attr]
        if change.id in self.notes:
            notes.append((self.notes[change.id], "remiss-note"))
        blocks = self.with_notes(blocks, notes)
        if kinds - {RENUMBERED}:
            blocks = [ast.div(blocks, ast.attr(classes=["changed"]))]
        for child in node.children:
            blocks.extend(self.node(child))
        return blocks

    def with_notes(self, blocks: list[ast.Node], notes: list[tuple[str, str | None]]) -> list[ast.Node]:
        """The clause with its notes (a move, the remiss comments behind it); for every format, one variant of
        its heading per format (the typst layout of the Word text shows neither comments nor notes)."""
        if self.fmt is not None or not notes:
            for text, kind in notes:
                blocks = self.with_note(blocks, text, kind)
            return blocks
        word, shown = blocks[:1], blocks[:1]
        for text, kind in notes:
            word = self.with_note(word, text, kind, fmt="docx")
            shown = self.with_note(shown, text, kind, fmt="typst")
        return [ast.only(word, "docx"), ast.only(blocks[:1], "word-layout"), ast.only(shown, "typst", "html"),
                *blocks[1:]]

    def with_note(self, blocks: list[ast.Node], text: str, kind: str | None = None,
                  fmt: Format | None = None) -> list[ast.Node]:
        """A note on the clause: a Word comment on its heading, a note paragraph after it elsewhere."""
        heading, rest = blocks[0], blocks[1:]
        if (fmt or self.fmt) == "docx":  # a Word comment: never part of the text that changes are accepted into
            self.comments += 1
            cid = str(self.comments)
            level, attr, inlines = heading["c"]
            start = ast.span(ast.text(text), ast.attr(classes=["comment-start"], id=cid, author=self.author,
                                                      date=self.date))
            end = ast.span([], ast.attr(classes=["comment-end"], id=cid))
            return [{"t": "Header", "c": [level, attr, [start, *inlines, end]]}, *rest]
        return [heading, ast.para([ast.span(ast.text(text), ast.attr(classes=["note", *([kind] if kind else [])]))]), *rest]

    def changed(self, old: Clause, new: Clause) -> list[ast.Node]:
        number = ast.span(ast.text(new.label), ast.attr(classes=["number"]))
        title = self.runs(self.words(old.title, self.old_side), self.words(new.title, self.new_side))
        out = [ast.header(new.level, [number, {"t": "Space"}, *title], ast.attr(new.id))]
        out.extend(self.changed_units(self.old_side.units(old), self.new_side.units(new)))
        out.extend(self.changed_table(old, new))
        return out

    @staticmethod
    def words(text: str, side: Side) -> list[Token]:
        return tokens((Str(text),), side.shown)

    def changed_units(self, old: list, new: list) -> list[ast.Node]:
        key = lambda unit: (unit[0], tuple(t.key for t in unit[1]))  # noqa: E731
        units: list[tuple[str, list[ast.Node]]] = []
        matcher = SequenceMatcher(None, [key(u) for u in old], [key(u) for u in new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                units.extend((kind, self.runs(toks, toks)) for kind, toks in new[j1:j2])
                continue
            a, b = old[i1:i2], new[j1:j2]
            paired = 0
            while paired < min(len(a), len(b)):
                words = match_words(a[paired][1], b[paired][1])  # one matching for the threshold and the diff
                if words.ratio() < PAIR_THRESHOLD:
                    break
                units.append((b[paired][0], self.runs(a[paired][1], b[paired][1], words)))
                paired += 1
            units.extend((kind, [self.mark("delete", self.runs(toks, toks))]) for kind, toks in a[paired:])
            units.extend((kind, [self.mark("insert", self.runs(toks, toks))]) for kind, toks in b[paired:])
        return _regroup(units)

    def changed_table(self, old: Clause, new: Clause) -> list[ast.Node]:
        """Rows aligned like paragraphs: same rows diffed cell by cell, added/removed rows tracked whole."""
        a, b = old.table, new.table
        if a is None and b is None:
            return []
        if a is None or b is None or a.header != b.header or a.caption != b.caption:
            out = []
            if a is not None:
                out.extend(self.mark_blocks([self.old.table(a)], "delete"))  # type: ignore[union-attr]
            if b is not None:
                out.extend(self.mark_blocks([self.table(b)], "insert"))
            return out
        old_rows, new_rows = self.old_side.table_cells(old), self.new_side.table_cells(new)
        key = lambda row: tuple(tuple(t.key for t in cell) for cell in row)  # noqa: E731
        rows: list[list[list[ast.Node]]] = []

        def whole(row: list, op: str) -> list[list[ast.Node]]:
            return [[ast.plain([self.mark(op, self.runs(cell, cell))])] for cell in row]

        matcher = SequenceMatcher(None, [key(r) for r in old_rows], [key(r) for r in new_rows], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                rows.extend([[ast.plain(self.runs(cell, cell))] for cell in row] for row in new_rows[j1:j2])
                continue
            pairs = min(i2 - i1, j2 - j1)
            for x, y in zip(old_rows[i1:i1 + pairs], new_rows[j1:j1 + pairs]):
                rows.append([[ast.plain(self.runs(oc, nc))] for oc, nc in zip(x, y)])
            rows.extend(whole(row, "delete") for row in old_rows[i1 + pairs:i2])
            rows.extend(whole(row, "insert") for row in new_rows[j1 + pairs:j2])
        return [ast.table(ast.text(b.caption) if b.caption else [], [[ast.plain(ast.text(h))] for h in b.header], rows)]


def _without_ids(nodes: Any) -> Any:
    """A copy of an AST fragment with every element id removed (so an id is never defined twice)."""
    if isinstance(nodes, list):
        return [_without_ids(n) for n in nodes]
    if isinstance(nodes, dict):
        if nodes.get("t") in ("Span", "Div", "Header"):
            c = nodes["c"]
            i = 1 if nodes["t"] == "Header" else 0
            attr = ["", *c[i][1:]]
            return {**nodes, "c": [*c[:i], attr, *_without_ids(c[i + 1:])]}
        if "c" in nodes:
            return {**nodes, "c": _without_ids(nodes["c"])}
    return nodes


def _regroup(units: list[tuple[str, list[ast.Node]]]) -> list[ast.Node]:
    """Paragraph and list-item units back into blocks: consecutive items of one kind form a list."""
    out: list[ast.Node] = []
    for kind, inlines in units:
        if kind == "para":
            out.append(ast.para(inlines))
            continue
        list_kind = "BulletList" if kind == "bullet" else "OrderedList"
        if out and out[-1]["t"] == list_kind:
            items = out[-1]["c"] if list_kind == "BulletList" else out[-1]["c"][1]
            items.append([ast.plain(inlines)])
        else:
            out.append(ast.bullet_list([[ast.plain(inlines)]]) if kind == "bullet"
                       else ast.ordered_list([[ast.plain(inlines)]]))
    return out
