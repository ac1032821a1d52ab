"""Everything that knows WordprocessingML. Nothing outside the docx writer/readers imports this.

`body` writes a document tree as WordprocessingML and `package` zips it with the house style of
templates/reference.docx (`render.word.write_docx` puts them together). This module holds what
they share with docxtpl's letters and forms: bookmark names, the title page and a table of
contents whose entries are already filled in (it reads correctly before Word updates it),
properties, and the finishing pass for docxtpl's files (page-header text, a byte-stable zip).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from html import escape as _escape_markup
from typing import Iterator

from lxml import etree

from ...archive import zip_bytes

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one format id of user-defined properties
HEADER_PLACEHOLDER = "{{header}}"


def escape(data: str, entities: dict[str, str] | None = None) -> str:
    """XML character data: what xml.sax.saxutils.escape does, without its module's imports (urllib.request,
    http.client, ssl: ~6 ms on every build)."""
    data = _escape_markup(data, quote=False)
    for char, entity in (entities or {}).items():
        data = data.replace(char, entity)
    return data


def bookmark_name(ident: str) -> str:
    """The bookmark pandoc writes for an id: Word allows at most 40 characters, starting with a letter.

    Longer ids (and ids starting with a digit) become 'X' and a SHA-1, exactly as pandoc's docx
    writer names them, so links written outside pandoc (the TOC, links into another document) agree.
    """
    if ident[:1].isalpha() and len(ident) <= 40:
        return ident
    return "X" + hashlib.sha1(ident.encode("utf-8")).hexdigest()[1:]


def _p(style: str, text: str = "", *, inner: str = "") -> str:
    run = f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{run}{inner}</w:p>'


def page_break() -> str:
    return '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'


def title_page(kind: str, title: str, subtitle: str | None, info: list[tuple[str, str]]) -> str:
    """The first page: kind, title, subtitle and 'Status: …' lines, then a page break."""
    parts = [_p("DocumentKind", kind), _p("Title", title)]
    if subtitle:
        parts.append(_p("Subtitle", subtitle))
    parts.extend(_p("TitlePageInfo", f"{label}: {value}") for label, value in info)
    return "".join(parts)


TEXT_WIDTH = 9071  # twips: A4 less the 2.5 cm margins of templates/reference.docx, where page numbers align


def table_of_contents(heading: str, entries: list[tuple[int, str, str]]) -> str:
    """A TOC field whose cached result is already the list of headings, each a link to its bookmark.

    Each entry ends in a PAGEREF field, its page filled in by `fill_page_numbers` (from the PDF's layout
    of the same text, so the contents look finished where fields are never updated); the package also
    asks Word to update fields on open, which puts Word's own page numbers there. LibreOffice,
    python-docx and pandoc read the entries without updating anything.
    """
    begin = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
             '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-2" \\h \\z \\u </w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    tabs = f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TEXT_WIDTH}"/></w:tabs>'
    paragraphs = [_p("TOCHeading", heading)]
    for i, (level, anchor, text) in enumerate(entries):
        name = escape(bookmark_name(anchor))
        link = (f'<w:hyperlink w:anchor="{name}" w:history="1"><w:r>'
                f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r><w:r><w:tab/></w:r>{_page_ref(name)}'
                '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink>')
        paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="toc{level}"/>{tabs}</w:pPr>{begin if i == 0 else ""}{link}</w:p>')
    paragraphs.append('<w:p><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    return "".join(paragraphs)


def _page_ref(name: str) -> str:
    """A PAGEREF field up to its (still empty) result: `_fill_page_numbers` writes the page after it."""
    return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGEREF {name} '
            '\\h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>')


# CT_TblPr's children in the schema's sequence (ECMA-376 §17.4.60); templates edited by hand mix them up.
TABLE_PROPERTIES = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
                    "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
                    "tblCaption", "tblDescription", "tblPrChange")


def _finish_tables(xml: bytes) -> bytes:
    """Table properties in schema order, and full-width tables with a grid as wide as the text.

    pandoc's grid assumes 5.5 inches: a fixed-layout table is laid out from its grid, and on
    that narrower grid LibreOffice squeezes every column and breaks long words inside cells
    ('Kommunalförbu|nd').
    """
    if b"<w:tbl>" not in xml:
        return xml
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    w = f"{{{W}}}"
    rank = {f"{w}{name}": i for i, name in enumerate(TABLE_PROPERTIES)}
    for table in root.iter(f"{w}tbl"):
        props = table.find(f"{w}tblPr")
        if props is not None:
            props[:] = sorted(props, key=lambda child: rank.get(child.tag, len(rank)))
        width = props.find(f"{w}tblW") if props is not None else None
        columns = table.findall(f"{w}tblGrid/{w}gridCol")
        if width is None or width.get(f"{w}type") != "pct" or width.get(f"{w}w") != "5000" or not columns:
            continue
        total = sum(int(c.get(f"{w}w", "0")) for c in columns)
        if total <= 0:
            continue
        for column in columns:
            column.set(f"{w}w", str(round(int(column.get(f"{w}w", "0")) * TEXT_WIDTH / total)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def fill_page_numbers(xml: str, pages: dict[str, int]) -> str:
    """The page of each heading (clause id → page) as the cached result of the contents' PAGEREF fields."""
    for anchor, page in pages.items():
        field = _page_ref(escape(bookmark_name(anchor)))
        xml = xml.replace(field, f"{field}<w:r><w:t>{page}</w:t></w:r>", 1)
    return xml


def finish_docx(data: bytes, *, header: str, properties: dict[str, str], when: dt.datetime,
                custom: dict[str, str] | None = None) -> bytes:
    """Fill the page header, set core and custom properties, and re-zip deterministically (docxtpl's letters and forms)."""
    source = zipfile.ZipFile(io.BytesIO(data))

    def finished() -> Iterator[tuple[str, bytes]]:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("word/header") and info.filename.endswith(".xml"):
                content = content.replace(HEADER_PLACEHOLDER.encode(), escape(header).encode("utf-8"))
            elif info.filename == "docProps/core.xml":
                content = _core_properties(content, properties, when)
            elif info.filename == "docProps/custom.xml" and custom:
                content = _custom_properties(content, custom)
            elif info.filename == "word/document.xml":
                content = _finish_tables(content)
            elif info.filename == "word/styles.xml":
                content = _complete_styles(content)
            elif info.filename == "word/settings.xml" and b"PAGEREF" in source.read("word/document.xml"):
                content = _update_fields_on_open(content)
            elif info.filename == "word/_rels/document.xml.rels":
                content = _link_bookmarks(content)
            yield info.filename, content

    return zip_bytes(finished(), when)


# The children of w:settings that the schema puts after w:updateFields.
LATER_THAN_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
                            "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                            "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
                            "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol",
                            "listSeparator")


def _update_fields_on_open(xml: bytes) -> bytes:
    """w:updateFields: Word recomputes the contents' page numbers (its own pagination) when the file opens."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    if root.find(f"{{{W}}}updateFields") is None:
        mark = etree.Element(f"{{{W}}}updateFields")
        mark.set(f"{{{W}}}val", "true")
        # CT_Settings is a sequence: updateFields comes before these (ECMA-376 §17.15.1.78)
        later = {f"{{{W}}}{n}" for n in LATER_THAN_UPDATE_FIELDS}
        at = next((i for i, child in enumerate(root) if child.tag in later), len(root))
        root.insert(at, mark)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# Word's own definitions of built-in styles that pandoc (and pandoc's reference.docx) refer to without
# defining: "Table" is based on TableNormal, and comment references are in CommentReference.
BUILTIN_STYLES = {
    "TableNormal": '<w:style xmlns:w="{W}" w:type="table" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
                   '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" '
                   'w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
                   '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>',
    "CommentReference": '<w:style xmlns:w="{W}" w:type="character" w:styleId="CommentReference">'
                        '<w:name w:val="annotation reference"/><w:basedOn w:val="DefaultParagraphFont"/>'
                        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>'
                        '<w:rPr><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr></w:style>',
}


def _complete_styles(xml: bytes) -> bytes:
    """Add Word's built-in styles (BUILTIN_STYLES) that the template lacks, so every referenced style exists."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    present = {s.get(f"{{{W}}}styleId") for s in root.iter(f"{{{W}}}style")}
    for style_id, definition in BUILTIN_STYLES.items():
        if style_id not in present:
            root.append(etree.fromstring(definition.replace("{W}", W)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


_OTHER_DOCX = re.compile(r"^(?P<file>[^/#:]+\.docx)#(?P<anchor>.+)$")


def _link_bookmarks(xml: bytes) -> bytes:
    """Links into another of our Word files ('x.docx#id') must name the bookmark pandoc wrote there."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    for rel in root.iter(f"{{{RELS}}}Relationship"):
        match = _OTHER_DOCX.match(rel.get("Target", ""))
        if match and rel.get("TargetMode") == "External":
            rel.set("Target", f"{match['file']}#{bookmark_name(match['anchor'])}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


_CORE_FIELDS = {
    "title": (DC, "title"),
    "subject": (DC, "subject"),
    "creator": (DC, "creator"),
    "language": (DC, "language"),
    "identifier": (DC, "identifier"),
    "description": (DC, "description"),
    "keywords": (CP, "keywords"),
    "version": (CP, "version"),
    "category": (CP, "category"),
    "contentStatus": (CP, "contentStatus"),
    "lastModifiedBy": (CP, "lastModifiedBy"),
}


def _core_properties(xml: bytes, properties: dict[str, str], when: dt.datetime) -> bytes:
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    for key, value in properties.items():
        ns, local = _CORE_FIELDS[key]
        element = root.find(f"{{{ns}}}{local}")
        if element is None:
            element = etree.SubElement(root, f"{{{ns}}}{local}")
        element.text = value
    for local in ("created", "modified"):
        element = root.find(f"{{{DCTERMS}}}{local}")
        if element is None:
            element = etree.SubElement(root, f"{{{DCTERMS}}}{local}")
            element.set(f"{{{XSI}}}type", "dcterms:W3CDTF")
        element.text = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _custom_properties(xml: bytes, values: dict[str, str]) -> bytes:
    """Set user-defined document properties (text), keeping any already there."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    existing = {p.get("name"): p for p in root.iter(f"{{{CUSTOM}}}property")}
    pid = max((int(p.get("pid", "1")) for p in existing.values()), default=1)
    for name, value in values.items():
        prop = existing.get(name)
        if prop is None:
            pid += 1
            prop = etree.SubElement(root, f"{{{CUSTOM}}}property", fmtid=CUSTOM_FMTID, pid=str(pid), name=name)
        for child in list(prop):
            prop.remove(child)
        etree.SubElement(prop, f"{{{VT}}}lpwstr").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
