"""A .docx package around a written body: the house style's parts from reference.docx, our own the rest.

reference.docx gives styles, theme, fonts, settings, page header and footer and the section's page
layout; the body, lists, comments, pictures, links and properties are written here. Parts are zipped
in a fixed order with fixed timestamps, so the same tree gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ...archive import zip_bytes
from . import HEADER_PLACEHOLDER, RELS, _complete_styles, _core_properties, _custom_properties, _update_fields_on_open
from .body import BodyWriter, attribute

NAMESPACES = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
              'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
              'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
              'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
              'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"')
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
# The reference's parts copied as they are (the page header gets its text), with their content types.
COPIED = {"word/styles.xml": f"{WML}.styles+xml", "word/settings.xml": f"{WML}.settings+xml",
          "word/webSettings.xml": f"{WML}.webSettings+xml", "word/fontTable.xml": f"{WML}.fontTable+xml",
          "word/theme/theme1.xml": "application/vnd.openxmlformats-officedocument.theme+xml",
          "word/header1.xml": f"{WML}.header+xml", "word/footer1.xml": f"{WML}.footer+xml",
          "docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml"}
OWN = {"word/document.xml": f"{WML}.document.main+xml", "word/numbering.xml": f"{WML}.numbering+xml",
       "word/footnotes.xml": f"{WML}.footnotes+xml", "word/comments.xml": f"{WML}.comments+xml",
       "docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
       "docProps/custom.xml": "application/vnd.openxmlformats-officedocument.custom-properties+xml"}
# The footnote separators settings.xml names (w:footnotePr); the body itself has no footnotes.
FOOTNOTES = (f'<w:footnotes {NAMESPACES}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r>'
             '</w:p></w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
             '<w:continuationSeparator/></w:r></w:p></w:footnote></w:footnotes>')
PACKAGE_RELS = (f'<Relationships xmlns="{RELS}">'
                f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>'
                f'<Relationship Id="rId2" Type="{REL}/extended-properties" Target="docProps/app.xml"/>'
                '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
                'core-properties" Target="docProps/core.xml"/>'
                f'<Relationship Id="rId4" Type="{REL}/custom-properties" Target="docProps/custom.xml"/></Relationships>')
# The word/ parts the document refers to; the page header and footer keep the reference's ids (its sectPr names them).
PART_TYPES = {"styles.xml": "styles", "settings.xml": "settings", "webSettings.xml": "webSettings",
              "fontTable.xml": "fontTable", "theme/theme1.xml": "theme", "numbering.xml": "numbering",
              "footnotes.xml": "footnotes", "header1.xml": "header", "footer1.xml": "footer"}


@dataclass(frozen=True)
class Reference:
    parts: dict[str, bytes]  # COPIED's parts, and core/custom properties to fill in
    settings_updating: bytes  # settings.xml asking Word to update fields on open
    section: bytes  # the body's w:sectPr: page size, margins, header and footer
    ids: dict[str, str]  # word/ part → relationship id (the section names the header's and footer's)


@cache
def reference_parts(path: Path) -> Reference:
    """The parts of the template that the written file reuses, read once per process."""
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in COPIED}
        document = z.read("word/document.xml").decode("utf-8")
        rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
        parts["core"] = z.read("docProps/core.xml")
        parts["custom"] = z.read("docProps/custom.xml")
    parts["word/styles.xml"] = _complete_styles(parts["word/styles.xml"])
    section = re.search(r"<w:sectPr\b.*?</w:sectPr>", document, re.S)
    if section is None:
        raise ValueError(f"{path}: word/document.xml has no section properties (page size, header, footer)")
    ids = {}
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        target, ident = re.search(r'Target="([^"]*)"', rel.group(0)), re.search(r'Id="([^"]*)"', rel.group(0))
        if target and ident and target.group(1) in PART_TYPES:
            ids[target.group(1)] = ident.group(1)
    for name in PART_TYPES:
        ids.setdefault(name, f"rIdPart{len(ids) + 1}")
    return Reference(parts, _update_fields_on_open(parts["word/settings.xml"]), section.group(0).encode("utf-8"), ids)


def package(body: BodyWriter, xml: str, reference: Path, *, header: str, properties: dict[str, str],
            custom: dict[str, str] | None, when: dt.datetime) -> bytes:
    """The .docx bytes of a body written by `body` (its links, lists, comments and pictures included)."""
    ref = reference_parts(reference)
    parts, ids = ref.parts, ref.ids
    document = (f"{DECLARATION}<w:document {NAMESPACES}><w:body>{xml}".encode("utf-8")
                + ref.section + b"</w:body></w:document>")
    rels = [f'<Relationship Id="{ids[name]}" Type="{REL}/{kind}" Target="{name}"/>' for name, kind in PART_TYPES.items()]
    rels.extend(f'<Relationship Id="{rid}" Type="{REL}/hyperlink" Target="{attribute(url)}" TargetMode="External"/>'
                for url, rid in body.links.items())
    rels.extend(f'<Relationship Id="{p.rel}" Type="{REL}/image" Target="media/{p.rel}.png"/>' for p in body.pictures)
    own = ["word/document.xml", "word/numbering.xml", "word/footnotes.xml", "docProps/core.xml", "docProps/custom.xml"]
    entries: list[tuple[str, bytes]] = []
    if body.comments:
        rels.append(f'<Relationship Id="rIdComments" Type="{REL}/comments" Target="comments.xml"/>')
        own.append("word/comments.xml")
        entries.append(("word/comments.xml", f"{DECLARATION}<w:comments {NAMESPACES}>{body.comments_xml()}"
                                             "</w:comments>".encode("utf-8")))
    types = [f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in COPIED.items()]
    types.extend(f'<Override PartName="/{name}" ContentType="{OWN[name]}"/>' for name in own)
    content_types = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     + ('<Default Extension="png" ContentType="image/png"/>' if body.pictures else "")
                     + "".join(types) + "</Types>")
    copied = dict(parts)
    copied["word/header1.xml"] = parts["word/header1.xml"].replace(HEADER_PLACEHOLDER.encode(),
                                                                   attribute(header).encode("utf-8"))
    if "PAGEREF" in xml:  # Word recomputes the contents' page numbers on open
        copied["word/settings.xml"] = ref.settings_updating
    head = [("[Content_Types].xml", (DECLARATION + content_types).encode("utf-8")),
            ("_rels/.rels", (DECLARATION + PACKAGE_RELS).encode("utf-8")),
            ("word/_rels/document.xml.rels", f'{DECLARATION}<Relationships xmlns="{RELS}">{"".join(rels)}'
                                             "</Relationships>".encode("utf-8")),
            ("word/document.xml", document),
            ("word/numbering.xml", (DECLARATION + numbering(body.lists)).encode("utf-8")),
            ("word/footnotes.xml", (DECLARATION + FOOTNOTES).encode("utf-8")),
            ("docProps/core.xml", _core_properties(parts["core"], properties, when)),
            ("docProps/custom.xml", _custom_properties(parts["custom"], custom or {}))]
    tail = [(name, copied[name]) for name in COPIED]
    tail.extend((f"word/media/{p.rel}.png", p.data) for p in body.pictures)
    return zip_bytes([*head, *entries, *tail], when, stored=lambda name: name.endswith(".png"))


BULLETS = ("•", "◦", "▪")


def numbering(lists: list[tuple[bool, int, int]]) -> str:
    """word/numbering.xml: one bullet and one decimal definition; every list its own w:num (ordered ones restart)."""
    def levels(ordered: bool) -> str:
        out = []
        for level in range(9):
            fmt, shown = ("decimal", f"%{level + 1}.") if ordered else ("bullet", BULLETS[level % 3])
            out.append(f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                       f'<w:lvlText w:val="{shown}"/><w:lvlJc w:val="left"/><w:pPr>'
                       f'<w:ind w:left="{720 * (level + 1)}" w:hanging="360"/></w:pPr></w:lvl>')
        return "".join(out)

    abstract = "".join(f'<w:abstractNum w:abstractNumId="{n}"><w:multiLevelType w:val="multilevel"/>{levels(bool(n))}'
                       "</w:abstractNum>" for n in (0, 1))
    nums = []
    for number, (ordered, start, depth) in enumerate(lists, start=1):
        override = "".join(f'<w:lvlOverride w:ilvl="{level}"><w:startOverride w:val="{start if level == depth else 1}"/>'
                           "</w:lvlOverride>" for level in range(9)) if ordered else ""
        nums.append(f'<w:num w:numId="{number}"><w:abstractNumId w:val="{int(ordered)}"/>{override}</w:num>')
    return ('<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'{abstract}{"".join(nums)}</w:numbering>')
