"""Model → pandoc document tree: the one tree every output format is written from.

A `TreeBuilder` walks a Document and emits pandoc AST. Output formats differ
only in how a link to another document or the glossary is spelled (`.docx`,
`.pdf`, `.html`) and in a few parts only some show (the web's statute texts,
the Word and PDF glossary appendix). Built for every format (`fmt=None`), the
tree holds those links unspelled and those parts marked (`ast.only`); the
publisher spells and keeps them per format (`spell`). The redline renderer
subclasses it, for one format at a time, to mark insertions and deletions.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Iterable, Literal

from ..gcpause import collector_paused
from ..model import Clause, Corpus, Document
from ..model.text import (Block, BulletList, Cite, DocRef, Emph, Inline, Link, OrderedList, Para, Ref, Str, Strong,
                          TermUse, walk_inlines)
from . import ast, wording

Format = Literal["docx", "typst", "html"]
GLOSSARY_ID = "termer-och-begrepp"
UNSPELLED = "avtal-link:"  # a link of a tree for every format, spelled per format by `TreeBuilder.spell`
# Who shows the glossary appendix: Word, the PDF, and the typst layout of a redline's Word text (for its pages).
APPENDIX_FORMATS = ("docx", "typst", "word-layout")


def term_anchor(term_id: str) -> str:
    """Anchor of a term in a glossary: a colon keeps it apart from every clause id."""
    return f"begrepp:{term_id}"


@dataclass
class TreeBuilder:
    corpus: Corpus
    doc: Document
    fmt: Format | None  # None: one tree for every format
    statute_texts: bool = False  # web: the text of each cited section on demand, after the text that cites it

    @property
    def here(self) -> str | None:
        """The document being written; references to it are local links and need no document name."""
        return self.doc.id

    # -- links --

    def doc_url(self, doc_id: str, anchor: str = "", fmt: Format | None = None) -> str:
        """A link to an anchor in this document or (relative) in another one."""
        fmt = fmt or self.fmt
        if fmt is None and doc_id != self.here:
            return f"{UNSPELLED}doc:{doc_id}:{anchor}"
        target = "" if doc_id == self.here else f"{doc_id}.{ 'pdf' if fmt == 'typst' else fmt}"
        return f"{target}#{anchor}" if anchor else (target or "#")

    def term_url(self, term_id: str, fmt: Format | None = None) -> str:
        fmt = fmt or self.fmt
        if fmt is None:
            return f"{UNSPELLED}term:{term_id}"
        if fmt == "html":
            return f"begrepp.html#{term_anchor(term_id)}"
        return f"#{term_anchor(term_id)}"

    def spell(self, url: str, fmt: Format) -> str:
        """A link of the tree for every format as `fmt` spells it (other links are the same in all)."""
        if not url.startswith(UNSPELLED):
            return url
        kind, ident, *anchor = url[len(UNSPELLED):].split(":", 2)
        return self.doc_url(ident, anchor[0], fmt) if kind == "doc" else self.term_url(ident, fmt)

    # -- inlines --

    def inlines(self, nodes: Iterable[Inline]) -> list[ast.Node]:
        out: list[ast.Node] = []
        for node in nodes:
            out.extend(self.inline(node))
        return out

    def inline(self, node: Inline) -> list[ast.Node]:
        if isinstance(node, Str):
            return ast.text(node.text)
        if isinstance(node, Emph):
            return [ast.emph(self.inlines(node.children))]
        if isinstance(node, Strong):
            return [ast.strong(self.inlines(node.children))]
        if isinstance(node, Link):
            return [ast.link(self.inlines(node.children), node.url)]
        if isinstance(node, Ref):
            target = self.corpus.clause(node.target)
            label = wording.ref_label(self.corpus, target, self.here)
            return [ast.link(ast.text(label), self.doc_url(target.doc, target.id), a=ast.attr(classes=["ref"]))]
        if isinstance(node, DocRef):
            title = self.corpus.document(node.doc).title
            return [ast.link(ast.text(title), self.doc_url(node.doc), a=ast.attr(classes=["docref"]))]
        if isinstance(node, TermUse):
            term = self.corpus.term(node.term)
            shown = node.form or term.source.term
            return [ast.link(ast.text(shown), self.term_url(node.term), a=ast.attr(classes=["term"]))]
        if isinstance(node, Cite):
            statute = self.corpus.statute(node.law)
            shown = ast.text(wording.cite(statute, node))
            if not statute.url:  # no address to link to: an empty link breaks typst and points nowhere in Word/web
                return [ast.span(shown, ast.attr(classes=["lag"]))]
            return [ast.link(shown, statute.url, a=ast.attr(classes=["lag"]))]
        raise TypeError(f"unknown inline {node!r}")

    # -- blocks --

    def blocks(self, blocks: Iterable[Block]) -> list[ast.Node]:
        out: list[ast.Node] = []
        for block in blocks:
            if isinstance(block, Para):
                out.append(ast.para(self.inlines(block.inlines)))
                out.extend(self.cited_texts(block.inlines))
            elif isinstance(block, BulletList):
                out.append(ast.bullet_list([[ast.plain(self.inlines(item)), *self.cited_texts(item)]
                                            for item in block.items]))
            elif isinstance(block, OrderedList):
                out.append(ast.ordered_list([[ast.plain(self.inlines(item)), *self.cited_texts(item)]
                                             for item in block.items]))
        return out

    def cited_texts(self, inlines: tuple[Inline, ...]) -> list[ast.Node]:
        """A <details> with the text of each section cited here, as in force when the document applies.

        A <details> may not sit inside a paragraph, so it follows the paragraph, list item or cell that
        cites the section: the reader opens it without leaving the page. Word and PDF keep the citation only.
        """
        if not (self.statute_texts and self.fmt in ("html", None)):
            return []
        day = self.doc.source.valid_from
        out: list[ast.Node] = []
        seen: set[Cite] = set()
        for node in walk_inlines(inlines):
            if not isinstance(node, Cite) or node in seen:
                continue
            seen.add(node)
            provision = self.corpus.provision(node, day)
            if provision is None:
                continue
            snapshot = self.corpus.laws[node.law]
            paragraphs = "".join(f"<p>{escape(p)}</p>" for p in provision.paragraphs())
            out.append(ast.raw_block("html", (
                f'<details class="lagtext"><summary>Lagtext: {escape(wording.cite(self.corpus.statute(node.law), node))}'
                f'</summary><blockquote>{paragraphs}</blockquote><p class="lagtext-kalla">Lydelse den '
                f"{escape(wording.long_date(day))}, då dokumentet börjar gälla, enligt den konsoliderade texten "
                f"publicerad {escape(wording.long_date(snapshot.consolidated))}.</p></details>")))
        return [ast.only(out, "html")] if out and self.fmt is None else out

    def heading(self, clause: Clause) -> ast.Node:
        number = ast.span(ast.text(clause.label), ast.attr(classes=["number"]))
        return ast.header(clause.level, [number, {"t": "Space"}, *ast.text(clause.title)], ast.attr(clause.id))

    def table(self, table) -> ast.Node:
        return ast.table(
            ast.text(table.caption) if table.caption else [],
            [[ast.plain(ast.text(h))] for h in table.header],
            [[[ast.plain(self.inlines(cell)), *self.cited_texts(cell)] for cell in row] for row in table.rows],
        )

    def own(self, clause: Clause) -> list[ast.Node]:
        """A clause's heading, text and table, without its children."""
        out = [self.heading(clause), *self.blocks(clause.body)]
        if clause.table is not None:
            out.append(self.table(clause.table))
        return out

    def clause(self, clause: Clause) -> list[ast.Node]:
        out = self.own(clause)
        for child in clause.children:
            out.extend(self.clause(child))
        return out

    def body(self) -> list[ast.Node]:
        """Preamble, clauses and the glossary appendix: the document's content in reading order."""
        with collector_paused():  # a large tree of lists and dicts, none cyclic
            out = self.preamble()
            out.extend(self.sections())
            out.extend(self.glossary())
        return out

    def preamble(self) -> list[ast.Node]:
        return self.blocks(self.doc.preamble)

    def sections(self) -> list[ast.Node]:
        out: list[ast.Node] = []
        for section in self.doc.sections:
            out.extend(self.clause(section))
        return out

    def glossary(self) -> list[ast.Node]:
        """'Bilaga: Termer och begrepp' with the terms this document uses (web: one shared page)."""
        if self.fmt == "html":
            return []
        used = wording.terms_used(self.corpus, self.doc)
        if not used:
            return []
        out = [self.glossary_heading()]
        for term in used:
            out.extend(self.term_entry(term.id))
        return [ast.only(out, *APPENDIX_FORMATS)] if self.fmt is None else out

    @staticmethod
    def glossary_heading() -> ast.Node:
        return ast.header(1, ast.text("Bilaga. Termer och begrepp"), ast.attr(GLOSSARY_ID, ["unnumbered"]))

    def term_entry(self, term_id: str) -> list[ast.Node]:
        term = self.corpus.term(term_id)
        name = term.source.term + (f" ({term.source.abbreviation})" if term.source.abbreviation else "")
        head = ast.para([ast.span([ast.strong(ast.text(name))], ast.attr(term_anchor(term_id), ["term-name"]))])
        definition = self.blocks(term.definition)
        extra = []
        if term.source.replaces:
            extra = [ast.para([ast.emph(ast.text("Ersätter: " + ", ".join(term.source.replaces) + "."))])]
        return [ast.div([head, *definition, *extra], ast.attr(classes=["term-entry"]))]

    def tree(self, meta: dict[str, ast.Node] | None = None, front: list[ast.Node] | None = None) -> ast.Node:
        return ast.document([*(front or []), *self.body()], meta)
