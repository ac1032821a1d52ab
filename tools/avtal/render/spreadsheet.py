"""Everything that knows SpreadsheetML: the finishing pass on a workbook openpyxl wrote.

openpyxl 3.1 writes every text cell as an inline string and a font's children
out of the schema's order; Excel (and openxml-audit's Office 2019 rules) expect
a shared-strings part and the order of CT_Font. This pass fixes both and
re-zips with every entry dated `when`, so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from lxml import etree

from ..archive import zip_bytes

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
SHARED = "xl/sharedStrings.xml"
SHARED_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
SHARED_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
# CT_Font's children in the schema's sequence (ECMA-376 §18.8.22 as the Open XML SDK validates it).
FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
              "name", "family", "charset", "scheme")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
MAX_CELL = 32_000  # Excel holds at most 32 767 characters in a cell


def cell_text(value: str) -> str:
    """Text an xlsx cell can hold: control characters (which openpyxl refuses) dropped, at most MAX_CELL long."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value[:MAX_CELL - 1] + "…" if len(value) > MAX_CELL else value


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def finish_xlsx(data: bytes, when: dt.datetime) -> bytes:
    """Shared strings instead of inline strings, fonts in schema order, a byte-stable zip."""
    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    strings: dict[bytes, int] = {}
    table = etree.Element(f"{{{S}}}sst", nsmap={None: S})
    for name in sorted(n for n in parts if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")):
        parts[name] = _share_strings(parts[name], strings, table)
    if strings and SHARED not in parts:
        table.set("count", str(len(strings)))
        table.set("uniqueCount", str(len(strings)))
        parts[SHARED] = _xml(table)
        parts["xl/_rels/workbook.xml.rels"] = _add_relationship(parts["xl/_rels/workbook.xml.rels"])
        parts["[Content_Types].xml"] = _add_override(parts["[Content_Types].xml"])
    if "xl/styles.xml" in parts:
        parts["xl/styles.xml"] = _fonts_in_order(parts["xl/styles.xml"])
    return zip_bytes(parts.items(), when)


def _share_strings(xml: bytes, strings: dict[bytes, int], table: etree._Element) -> bytes:
    """Every `<c t="inlineStr"><is>…</is></c>` of a sheet as `<c t="s"><v>index</v></c>` into `table`."""
    root = etree.fromstring(xml, parser=_PARSER)
    for cell in root.iter(f"{{{S}}}c"):
        if cell.get("t") != "inlineStr":
            continue
        inline = cell.find(f"{{{S}}}is")
        if inline is None:
            continue
        key = b"".join(etree.tostring(child) for child in inline)
        index = strings.get(key)
        if index is None:
            index = strings[key] = len(strings)
            item = etree.SubElement(table, f"{{{S}}}si")
            item.extend(list(inline))
        at = cell.index(inline)
        cell.remove(inline)
        value = etree.Element(f"{{{S}}}v")
        value.text = str(index)
        cell.insert(at, value)
        cell.set("t", "s")
    return _xml(root)


def _fonts_in_order(xml: bytes) -> bytes:
    root = etree.fromstring(xml, parser=_PARSER)
    rank = {f"{{{S}}}{name}": i for i, name in enumerate(FONT_ORDER)}
    for font in root.iter(f"{{{S}}}font"):
        children = sorted(font, key=lambda child: rank.get(child.tag, len(rank)))
        font[:] = children
    return _xml(root)


def _add_relationship(xml: bytes) -> bytes:
    root = etree.fromstring(xml, parser=_PARSER)
    used = {r.get("Id") for r in root}
    number = 1 + len(used)
    while f"rId{number}" in used:
        number += 1
    etree.SubElement(root, f"{{{RELS}}}Relationship", Id=f"rId{number}", Type=SHARED_REL, Target="sharedStrings.xml")
    return _xml(root)


def _add_override(xml: bytes) -> bytes:
    root = etree.fromstring(xml, parser=_PARSER)
    etree.SubElement(root, f"{{{TYPES}}}Override", PartName=f"/{SHARED}", ContentType=SHARED_TYPE)
    return _xml(root)
