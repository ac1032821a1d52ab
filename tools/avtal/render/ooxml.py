"""Everything that knows WordprocessingML. Nothing outside the docx writer/readers imports this.

pandoc writes the body; this module adds what pandoc cannot (a title page
with status and diarienummer, a table of contents whose entries are already
filled in so it reads correctly before Word updates it) and finishes the
file (page-header text, core properties, a byte-stable zip).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import re
import zipfile
from typing import Iterator
from xml.sax.saxutils import escape

from lxml import etree

from ..archive import zip_bytes

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one format id of user-defined properties
# Custom properties that say which of our documents (and which frozen version) a Word file is, so a
# returned draft is recognised by what it says about itself; Word and LibreOffice keep them on save.
DOCUMENT_PROPERTY = "avtal.document"
VERSION_PROPERTY = "avtal.version"
HEADER_PLACEHOLDER = "{{header}}"


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

    Each entry ends in a PAGEREF field, its page filled in by `finish_docx` (from the PDF's layout of
    the same text, so the contents look finished where fields are never updated); `finish_docx` also
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


def _fill_page_numbers(xml: bytes, pages: dict[str, int]) -> bytes:
    """The page of each heading (clause id → page) as the cached result of the contents' PAGEREF fields."""
    for anchor, page in pages.items():
        field = _page_ref(escape(bookmark_name(anchor))).encode("utf-8")
        xml = xml.replace(field, field + f"<w:r><w:t>{page}</w:t></w:r>".encode(), 1)
    return xml


def finish_docx(data: bytes, *, header: str, properties: dict[str, str], when: dt.datetime,
                tracked: bool = False, custom: dict[str, str] | None = None, pages: dict[str, int] | None = None) -> bytes:
    """Fill the page header, set core and custom properties, and re-zip deterministically.

    With `tracked` (a redline), wholly inserted or deleted paragraphs and rows get their marks tracked too;
    with `pages` (heading id → page), the table of contents shows them.
    """
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
                content = _finish_tables(_fill_page_numbers(content, pages or {}))
                content = _tracked_document(content) if tracked else content
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


def _whole_revision(element: etree._Element, w: str) -> etree._Element | None:
    """The w:ins or w:del that wraps every text run inside `element`, if all runs share one kind."""
    runs = [r for r in element.iter(f"{w}r") if r.find(f"{w}t") is not None or r.find(f"{w}delText") is not None]
    for kind in ("ins", "del"):
        wrappers = [next((a for a in r.iterancestors() if a.tag == f"{w}{kind}"), None) for r in runs]
        if runs and all(x is not None for x in wrappers):
            return wrappers[0]
    return None


def _tracked_document(xml: bytes) -> bytes:
    """A redline's document.xml made valid and whole: links hold their revisions, paragraph marks are tracked."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    ids = itertools.count(1 + max((int(v) for v in root.xpath("//@w:id", namespaces={"w": W}) if v.isdigit()),
                                  default=0))
    _links_hold_revisions(root, ids)
    _track_whole_paragraphs(root, ids)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _links_hold_revisions(root: etree._Element, ids: Iterator[int]) -> None:
    """`<w:ins><w:hyperlink>runs</w:hyperlink></w:ins>` → `<w:hyperlink><w:ins>runs</w:ins></w:hyperlink>`.

    pandoc nests a link inside the insertion; ECMA-376 allows only runs there, Word
    writes it the other way round, and LibreOffice drops the link's text (the words
    are lost on accept all). Each piece keeps the author and date, with its own id.
    """
    w = f"{{{W}}}"
    for kind in ("ins", "del"):
        for wrapper in list(root.iter(f"{w}{kind}")):
            if wrapper.find(f"{w}hyperlink") is None or wrapper.getparent().tag == f"{w}rPr":
                continue
            pieces: list[etree._Element] = []
            current: etree._Element | None = None
            for child in list(wrapper):
                if child.tag == f"{w}hyperlink":
                    inner = _revision_like(wrapper, ids)
                    inner.extend(list(child))
                    child.append(inner)
                    pieces.append(child)
                    current = None
                else:
                    if current is None:
                        current = _revision_like(wrapper, ids)
                        pieces.append(current)
                    current.append(child)
            parent, at = wrapper.getparent(), wrapper.getparent().index(wrapper)
            parent.remove(wrapper)
            for offset, piece in enumerate(pieces):
                parent.insert(at + offset, piece)


def _revision_like(wrapper: etree._Element, ids: Iterator[int]) -> etree._Element:
    """An empty w:ins/w:del with the author and date of `wrapper` and a fresh id."""
    out = etree.Element(wrapper.tag)
    out.set(f"{{{W}}}id", str(next(ids)))
    for attr in ("author", "date"):
        if wrapper.get(f"{{{W}}}{attr}") is not None:
            out.set(f"{{{W}}}{attr}", wrapper.get(f"{{{W}}}{attr}"))
    return out


def _track_whole_paragraphs(root: etree._Element, ids: Iterator[int]) -> None:
    """Track the mark of every paragraph (and table row) whose text is wholly inserted or deleted.

    pandoc marks the runs; without the mark, accepting a deleted paragraph (or
    rejecting an inserted one) would leave an empty paragraph or row behind.
    """
    w = f"{{{W}}}"
    for element in [*root.iter(f"{w}p"), *root.iter(f"{w}tr")]:
        wrapper = _whole_revision(element, w)
        if wrapper is None:
            continue
        if element.tag == f"{w}p":
            props = element.find(f"{w}pPr")
            if props is None:
                props = etree.Element(f"{w}pPr")
                element.insert(0, props)
            target = props.find(f"{w}rPr")
            if target is None:
                target = etree.SubElement(props, f"{w}rPr")
        else:
            target = element.find(f"{w}trPr")
            if target is None:
                target = etree.Element(f"{w}trPr")
                element.insert(1 if element.find(f"{w}tblPrEx") is not None else 0, target)
        target.append(_revision_like(wrapper, ids))
