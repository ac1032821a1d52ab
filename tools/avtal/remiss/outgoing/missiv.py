"""The missiv (cover letter): Word from templates/missiv.docx (docxtpl), PDF/UA-1 from the same content.

The PDF is not a second design of the letter: the rendered Word file is read back by
pandoc's docx reader into our pandoc tree and written with our typst writer and page
design (templates/missiv.typ), so whatever the working group writes in the Word
template appears in both. Per round, the template is rendered and read ONCE with
sentinels in place of the party's values; each party's letter is that Word XML and
that tree with the party's values substituted (escaped for each format), then one
typst compile. A template that uses a per-party field in a condition or a filter is
rendered per party instead (same result, slower).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import typst

from lxml import etree

from ...model.problems import Problems
from ...render import ast, ooxml
from ...render import typst as typst_writer
from ...render.docx import TEMPLATES
from ...render.pandoc import PandocError, pandoc_path
from ...render.pdf import PDF_STANDARDS, font_paths
from .templates import (MISSIV_REQUIRED, Prepared, TemplateInfo, Use, check_template, party_values, read_parts,
                        render_template, sentinel_context, substitute_text)

PAGE_DESIGN = TEMPLATES / "missiv.typ"

_INLINE_OK = {"Str", "Space", "SoftBreak", "LineBreak", "Emph", "Strong", "Link", "Span", "Code", "Quoted"}
_INLINE_WRAPPERS = {"Underline", "SmallCaps", "Strikeout", "Superscript", "Subscript"}


_COMPILERS = threading.local()


def compile_letter(source: bytes, when: dt.datetime) -> bytes:
    """`render.pdf.compile_pdf` (same standards, fonts and timestamp: the same bytes) with the fonts loaded once
    per thread instead of once per letter: ~8 ms a letter instead of ~11.5 (measured on the missiv)."""
    compiler = getattr(_COMPILERS, "compiler", None)
    if compiler is None:
        compiler = _COMPILERS.compiler = typst.Compiler(font_paths=font_paths(), ignore_system_fonts=True)
    return compiler.compile(input=source, format="pdf", pdf_standards=PDF_STANDARDS, timestamp=int(when.timestamp()))


def check_missiv_template(path: Path, problems: Problems) -> TemplateInfo | None:
    return check_template(path, MISSIV_REQUIRED, problems)


def _inlines(nodes: list[Any], values: dict[str, str] | None) -> list[Any]:
    """Inlines our typst writer knows (formatting it lacks is kept as plain text), sentinels filled in."""
    out: list[Any] = []
    for node in nodes:
        kind, content = node["t"], node.get("c")
        if kind == "Str":
            out.append({"t": "Str", "c": substitute_text(content, values) if values is not None else content})
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(node)
        elif kind in ("Emph", "Strong"):
            out.append({"t": kind, "c": _inlines(content, values)})
        elif kind in _INLINE_WRAPPERS:
            out.append(ast.span(_inlines(content, values)))
        elif kind == "Span":
            out.append(ast.span(_inlines(content[1], values)))
        elif kind == "Link":
            url = substitute_text(content[2][0], values) if values is not None else content[2][0]
            text = _inlines(content[1], values)
            # Links to bookmarks inside the Word file have no target in the PDF: keep their text.
            out.append(ast.span(text) if url.startswith("#") else ast.link(text, url))
        elif kind == "Quoted":
            out.append({"t": "Quoted", "c": [content[0], _inlines(content[1], values)]})
        elif kind == "Code":
            out.append({"t": "Str", "c": substitute_text(content[1], values) if values is not None else content[1]})
        elif kind == "Cite":
            out.extend(_inlines(content[1], values))
        elif kind == "Math":
            out.append({"t": "Str", "c": content[1]})
        # Note, Image, RawInline: nothing a letter's PDF can show accessibly without more information.
    return out


def _blocks(nodes: list[Any], values: dict[str, str] | None) -> list[Any]:
    """Blocks our typst writer knows; others reduced to their text."""
    out: list[Any] = []
    for node in nodes:
        kind, content = node["t"], node.get("c")
        if kind in ("Para", "Plain"):
            out.append({"t": kind, "c": _inlines(content, values)})
        elif kind == "Header":
            out.append(ast.header(content[0], _inlines(content[2], values)))
        elif kind == "BulletList":
            out.append(ast.bullet_list([_blocks(item, values) for item in content]))
        elif kind == "OrderedList":
            out.append({"t": "OrderedList", "c": [content[0], [_blocks(item, values) for item in content[1]]]})
        elif kind in ("BlockQuote",):
            out.append(ast.div(_blocks(content, values)))
        elif kind == "Div":
            out.append(ast.div(_blocks(content[1], values)))
        elif kind == "Figure":
            out.extend(_blocks(content[2], values))
        elif kind == "LineBlock":
            out.extend(ast.para(_inlines(line, values)) for line in content)
        elif kind == "DefinitionList":
            for term, definitions in content:
                out.append(ast.para([ast.strong(_inlines(term, values))]))
                for definition in definitions:
                    out.extend(_blocks(definition, values))
        elif kind == "CodeBlock":
            out.append(ast.para(ast.text(substitute_text(content[1], values) if values is not None else content[1])))
        elif kind == "Table":
            out.append(_table(node, values))
        elif kind == "HorizontalRule":
            out.append(node)
    return out


def _table(node: dict[str, Any], values: dict[str, str] | None) -> dict[str, Any]:
    attr, caption, colspecs, head, bodies, foot = node["c"]

    def cells(row: list[Any]) -> list[Any]:
        return [row[0], [[c[0], c[1], c[2], c[3], _blocks(c[4], values)] for c in row[1]]]

    head = [head[0], [cells(r) for r in head[1]]]
    if not head[1]:  # our writer expects a header row
        first = bodies[0][3][0] if bodies and bodies[0][3] else [ast.attr(), []]
        head = [head[0], [cells(first)]]
        bodies = [[b[0], b[1], b[2], b[3][1:] if i == 0 else b[3]] for i, b in enumerate(bodies)]
    bodies = [[b[0], b[1], [cells(r) for r in b[2]], [cells(r) for r in b[3]]] for b in bodies]
    return {"t": "Table", "c": [attr, [caption[0], _blocks(caption[1], values)], colspecs, head, bodies, foot]}


def docx_to_tree(data: bytes) -> dict[str, Any]:
    """pandoc's docx reader on a Word file: the pandoc JSON tree."""
    result = subprocess.run([pandoc_path(), "--from=docx", "--to=json"], input=data, capture_output=True)
    if result.returncode != 0:
        raise PandocError(f"pandoc --from=docx failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return json.loads(result.stdout)


def header_text(parts: dict[str, bytes]) -> str:
    """The text of the Word file's page header (the first header part with text)."""
    for name in sorted(n for n in parts if n.startswith("word/header") and n.endswith(".xml")):
        root = etree.fromstring(parts[name], parser=etree.XMLParser(resolve_entities=False, no_network=True))
        text = " ".join("".join(t.text or "" for t in root.iter(f"{{{ooxml.W}}}t")).split())
        if text:
            return text
    return ""


class MissivWriter:
    """Each party's missiv as (Word, PDF) bytes; the template rendered and read once per round when possible."""

    def __init__(self, template: Path, info: TemplateInfo, when: dt.datetime, sender: str, round_name: str,
                 page_design: Path = PAGE_DESIGN):
        self.template, self.info, self.when = template, info, when
        self.sender, self.round_name = sender, round_name  # what readers call the round (wording.round_name)
        self.page_design = page_design.read_text(encoding="utf-8")
        self._prepared: Prepared | None = None
        self._tree: dict[str, Any] | None = None
        self._header = ""

    def _finish(self, data: bytes, party_name: str) -> bytes:
        return ooxml.finish_docx(data, header="", when=self.when, properties={
            "title": self.title(party_name), "subject": "Missiv", "creator": self.sender,
            "lastModifiedBy": self.sender, "language": "sv-SE", "identifier": self.round_name,
            "keywords": f"{self.round_name}; missiv"})

    def title(self, party_name: str) -> str:
        return f"Missiv {self.round_name} – {party_name}"

    def prepare(self, sample_context: dict[str, Any]) -> None:
        if not self.info.substitutable:
            return
        ctx = sentinel_context(sample_context)
        data = self._finish(render_template(self.template, ctx), ctx["party"]["name"])
        self._prepared = Prepared(read_parts(data), self.when)
        self._tree = docx_to_tree(data)
        self._header = header_text(self._prepared.parts)

    def word(self, context: dict[str, Any]) -> tuple[bytes, dict[str, Any], str]:
        """The Word file, and the tree and page header its PDF is made from."""
        values = party_values(context)
        if self._prepared is not None and self._tree is not None:
            tree = {**self._tree, "blocks": _blocks(self._tree["blocks"], values)}
            return self._prepared.for_party(values), tree, substitute_text(self._header, values)
        data = self._finish(render_template(self.template, context), context["party"]["name"])
        tree = docx_to_tree(data)
        return data, {**tree, "blocks": _blocks(tree["blocks"], None)}, header_text(read_parts(data))

    def pdf(self, context: dict[str, Any], tree: dict[str, Any], header: str) -> bytes:
        meta = {"title": self.title(context["party"]["name"]), "author": self.sender,
                "keywords": [context["round"]["diarienummer"], self.round_name, context["party"]["name"]],
                "header": header, "footer": f"Dnr {context['round']['diarienummer']}"}
        source = typst_writer.document(meta, self.page_design, tree["blocks"])
        return compile_letter(source.encode("utf-8"), self.when)

    def render(self, context: dict[str, Any]) -> tuple[bytes, bytes]:
        word, tree, header = self.word(context)
        return word, self.pdf(context, tree, header)


def render_missiv_per_letter(template: Path, context: dict[str, Any], when: dt.datetime, sender: str,
                             round_name: str) -> tuple[bytes, bytes]:
    """One letter without the once-per-round preparation (docxtpl re-reads the template): the reference path."""
    info = TemplateInfo(template, uses=[Use("party.name", "reference rendering", kind="expr")])  # never substituted
    return MissivWriter(template, info, when, sender, round_name).render(context)
