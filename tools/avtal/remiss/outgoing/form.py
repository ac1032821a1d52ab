"""Writes each party's svarsformulär from templates/svarsformular.docx (the reader is `incoming.form`).

What the form carries invisibly (see `form_contract` and `incoming.form`) is added here: custom document
properties, hidden markers in the page header and per row, bookmarks named like the clause's
bookmark in our Word documents. Every answer cell becomes a Word content control (form 2): the
stance a drop-down of the model's stances, one-line fields plain text, longer answers rich
text; the clause's number and heading are locked controls.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from ...archive import zip_bytes
from ...model.problems import Problems
from ...render import ooxml, wording
from ..form_contract import (FIELD_MARK, FORM_KIND, ID_MARK, LINE_FIELDS, PLACEHOLDER_STYLE, STANCE_CHOICES,
                             STANCE_PLACEHOLDER, TEXT_PLACEHOLDER)
from ..form_layout import (COLUMN_LABELS, CUSTOM, chunks, fingerprint, is_hidden, numbered_properties, read_layout,
                           static_texts)
from .templates import (FORM_MARKERS, FORM_REQUIRED, Prepared, TemplateInfo, check_template, party_values, read_parts,
                        render_template, sentinel, sentinel_context, substitute_text)

W = ooxml.W
_W = f"{{{W}}}"

CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"

def _mark_rows(document: bytes) -> bytes:
    """Make every marker hidden, and put a bookmark named after the clause around each row's number cell."""
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    next_id = 800000
    for run in list(root.iter(f"{_W}r")):
        text = "".join(t.text or "" for t in run.iter(f"{_W}t"))
        if "[avtal-" not in text:
            continue
        props = run.find(f"{_W}rPr")
        if props is None:
            props = etree.Element(f"{_W}rPr")
            run.insert(0, props)
        if props.find(f"{_W}vanish") is None:
            etree.SubElement(props, f"{_W}vanish")
        found = ID_MARK.search(text)
        paragraph = next(run.iterancestors(f"{_W}p"), None)
        if found and paragraph is not None:
            start = etree.Element(f"{_W}bookmarkStart")
            start.set(f"{_W}id", str(next_id))
            start.set(f"{_W}name", ooxml.bookmark_name(found[1]))
            end = etree.Element(f"{_W}bookmarkEnd")
            end.set(f"{_W}id", str(next_id))
            next_id += 1
            props_at = 1 if len(paragraph) and paragraph[0].tag == f"{_W}pPr" else 0
            paragraph.insert(props_at, start)
            paragraph.append(end)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _control(ident: int, look: str, content: list[etree._Element]) -> etree._Element:
    """A content control: `look` is 'stance' (drop-down), 'line' (plain text), 'text' (rich text, a block of
    paragraphs) or 'locked' (the form's own text, `content` moved into it).

    Longer answers are rich-text controls: in a plain-text control lines are w:br breaks, and
    LibreOffice 7.4 moves those out of the control on a re-save, running the lines together."""
    sdt = etree.Element(f"{_W}sdt")
    props = etree.SubElement(sdt, f"{_W}sdtPr")
    if look == "stance":
        etree.SubElement(props, f"{_W}alias").set(f"{_W}val", COLUMN_LABELS["stance"])
    etree.SubElement(props, f"{_W}id").set(f"{_W}val", str(ident))
    # Locked: the clause's own text cannot be edited; an answer's control cannot be deleted.
    etree.SubElement(props, f"{_W}lock").set(f"{_W}val", "sdtContentLocked" if look == "locked" else "sdtLocked")
    body = etree.SubElement(sdt, f"{_W}sdtContent")
    if look == "locked":
        body.extend(content)
        return sdt
    etree.SubElement(props, f"{_W}showingPlcHdr")
    if look == "stance":
        choices = etree.SubElement(props, f"{_W}dropDownList")
        for shown, value in STANCE_CHOICES:
            item = etree.SubElement(choices, f"{_W}listItem")
            item.set(f"{_W}displayText", shown)
            item.set(f"{_W}value", value)
    elif look == "line":
        etree.SubElement(props, f"{_W}text")
    run = etree.SubElement(body, f"{_W}r")
    etree.SubElement(etree.SubElement(run, f"{_W}rPr"), f"{_W}rStyle").set(f"{_W}val", PLACEHOLDER_STYLE)
    etree.SubElement(run, f"{_W}t").text = STANCE_PLACEHOLDER if look == "stance" else TEXT_PLACEHOLDER
    return sdt


def _answer_control(cell: etree._Element, look: str, ident: int) -> None:
    """Put an empty answer control into an (empty) cell: inline, or (rich text) around its paragraph."""
    paragraph = cell.find(f"{_W}p")
    if paragraph is None:
        paragraph = etree.SubElement(cell, f"{_W}p")
    control = _control(ident, look, [])
    if look != "text":
        paragraph.append(control)
        return
    body = control.find(f"{_W}sdtContent")
    placeholder = body[0]
    paragraph.addprevious(control)
    body.append(paragraph)
    paragraph.append(placeholder)


def _lock_text(cell: etree._Element, ident: int) -> None:
    """Wrap the visible runs of a cell's first paragraph (not our hidden marker: a control's runs lose
    their formatting in LibreOffice) in a locked control."""
    paragraph = cell.find(f"{_W}p")
    runs = [r for r in paragraph.findall(f"{_W}r") if not is_hidden(r)] if paragraph is not None else []
    if not runs:
        return
    anchor = etree.Element(f"{_W}proofErr")  # where the control goes, before its runs move into it
    runs[0].addprevious(anchor)
    anchor.addnext(_control(ident, "locked", runs))
    paragraph.remove(anchor)


def _add_controls(document: bytes) -> bytes:
    """Every answer cell becomes a content control and every clause's number and heading a locked one."""
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    ident = 700000
    for kind, table in read_layout(root).items:
        if kind != "t":
            continue
        for i, row in enumerate(table.rows):
            for j, cell in enumerate(row.cells):
                if table.kind == "clauses" and not row.header and cell.kind in ("number", "title"):
                    look = "locked"
                elif table.kind == "clauses" and not row.header and cell.kind in ("stance", "comment", "proposal"):
                    look = "stance" if cell.kind == "stance" else "text"
                elif table.kind == "general" and i > 0:
                    look = "text"
                elif table.kind == "fields" and j > 0:
                    keys = [k for m in row.cells[0].piece.markers for k in FIELD_MARK.findall(m)]
                    look = "line" if keys and keys[0] in LINE_FIELDS else "text"
                else:
                    continue
                ident += 1
                if look == "locked":
                    _lock_text(cell.element, ident)
                elif not cell.piece.text:
                    _answer_control(cell.element, look, ident)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _mark_header(header: bytes, marker: str) -> bytes:
    """Put the hidden form marker first in the page header's first paragraph."""
    root = etree.fromstring(header, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    paragraph = root.find(f".//{_W}p")
    if paragraph is None:
        return header
    run = etree.Element(f"{_W}r")
    etree.SubElement(etree.SubElement(run, f"{_W}rPr"), f"{_W}vanish")
    text = etree.SubElement(run, f"{_W}t")
    text.text = marker
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    props_at = 1 if len(paragraph) and paragraph[0].tag == f"{_W}pPr" else 0
    paragraph.insert(props_at, run)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _ensure_custom_part(parts: dict[str, bytes]) -> dict[str, bytes]:
    """A package without docProps/custom.xml (a template re-saved without properties) gets an empty one."""
    if "docProps/custom.xml" in parts:
        return parts
    out = dict(parts)
    out["docProps/custom.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="'
                                  + CUSTOM.encode() + b'" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
                                  b'2006/docPropsVTypes"/>')
    types = out["[Content_Types].xml"].decode("utf-8")
    out["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_TYPE}"/></Types>').encode()
    rels = out["_rels/.rels"].decode("utf-8")
    out["_rels/.rels"] = rels.replace("</Relationships>", f'<Relationship Id="rIdAvtalCustom" Type="{CUSTOM_REL}" '
                                      'Target="docProps/custom.xml"/></Relationships>').encode()
    return out


@dataclass(frozen=True)
class FormIdentity:
    """What every form of a round says about itself."""

    round: str
    version: str
    checksum: str
    rows: tuple[str, ...]  # clause ids in order


def form_marker(identity: FormIdentity, party: str) -> str:
    return (f"[avtal-form round={identity.round} party={party} version={identity.version} "
            f"sha256={identity.checksum}]")


class FormWriter:
    """Writes each party's svarsformulär: rendered once with sentinels, finished once, substituted per party."""

    TEXTS_SLOTS = "texts"

    def __init__(self, template: Path, info: TemplateInfo, identity: FormIdentity, when: dt.datetime,
                 round_name: str | None = None):
        self.template, self.info, self.identity, self.when = template, info, identity, when
        self.round_name = round_name or identity.round  # what readers call the round (wording.round_name)
        self.texts_chunks = 0
        self._prepared: Prepared | None = None
        self._static: list[str] = []

    def _finish(self, data: bytes, party: str, party_name: str) -> tuple[Prepared, list[str], int]:
        """Hide the markers, bookmark the rows, mark the page header, then set the properties."""
        identity = self.identity
        parts = _ensure_custom_part(read_parts(data))
        parts["word/document.xml"] = _add_controls(_mark_rows(parts["word/document.xml"]))
        for name in parts:
            if re.fullmatch(r"word/header\d*\.xml", name):
                parts[name] = _mark_header(parts[name], form_marker(identity, party))
        root = etree.fromstring(parts["word/document.xml"],
                                parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
        static = static_texts(read_layout(root))
        slots = len(chunks(["0" * 8] * len(static)))  # enough for every fingerprint; fixed for the round
        custom = {"avtal.form": FORM_KIND, "avtal.round": identity.round, "avtal.party": party,
                  "avtal.party_name": party_name, "avtal.version": identity.version,
                  "avtal.version_checksum": identity.checksum,
                  **numbered_properties("avtal.rows", chunks(list(identity.rows))),
                  **numbered_properties("avtal.texts", [sentinel(f"{self.TEXTS_SLOTS}{i}") for i in range(slots)])}
        data = ooxml.finish_docx(zip_bytes(parts.items(), self.when, stored=lambda name: True), header="", when=self.when,
                                 custom=custom, properties={
                                     "title": f"Svarsformulär {self.round_name} – {party_name}",
                                     "subject": "Svarsformulär", "creator": wording.GROUP,
                                     "lastModifiedBy": wording.GROUP, "language": "sv-SE",
                                     "identifier": self.round_name,
                                     "keywords": f"{self.round_name}; {party_name}; svarsformulär"})
        return Prepared(read_parts(data), self.when), static, slots

    def prepare(self, sample_context: dict[str, Any]) -> None:
        """Render the template once with sentinels (when its per-party fields allow it)."""
        if not self.info.substitutable:
            return
        ctx = sentinel_context(sample_context)
        data = render_template(self.template, ctx)
        self._prepared, self._static, self.texts_chunks = self._finish(data, ctx["party"]["id"], ctx["party"]["name"])

    def _texts_values(self, static: list[str], values: dict[str, str], slots: int) -> dict[str, str]:
        prints = sorted({fingerprint(substitute_text(t, values)) for t in static})
        parts = chunks(prints)
        parts += [""] * (slots - len(parts))
        return {f"{self.TEXTS_SLOTS}{i}": v for i, v in enumerate(parts)}

    def for_party(self, context: dict[str, Any]) -> bytes:
        values = party_values(context)
        if self._prepared is not None:
            values.update(self._texts_values(self._static, values, self.texts_chunks))
            return self._prepared.for_party(values)
        # The slow path: the template uses a per-party field in a condition or filter.
        data = render_template(self.template, context)
        prepared, static, slots = self._finish(data, context["party"]["id"], context["party"]["name"])
        return prepared.for_party(self._texts_values(static, {}, slots))


def check_form_template(path: Path, problems: Problems) -> TemplateInfo | None:
    return check_template(path, FORM_REQUIRED, problems, FORM_MARKERS)
