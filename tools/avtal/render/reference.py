"""Regenerate templates/reference.docx, the Word house style `word.write_docx` writes into.

Run `python -m avtal.render.reference` only to reset the house style from
code; the committed .docx is the template, and editing it in Word is equally
valid (keep the `{{header}}` placeholder in the page header).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .pandoc import pandoc_path

BLUE = RGBColor(0x00, 0x3A, 0x6E)
FONT = "Arial"


def _field(paragraph, instruction: str) -> None:
    """Append a simple field (PAGE, NUMPAGES) to a paragraph."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _style(doc, name: str, kind=WD_STYLE_TYPE.PARAGRAPH, base: str | None = "Normal"):
    try:
        return doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, kind)
        if base:
            style.base_style = doc.styles[base]
        return style


def build(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        default = Path(tmp) / "default.docx"
        subprocess.run([pandoc_path(), "-o", str(default), "--print-default-data-file", "reference.docx"], check=True)
        doc = Document(str(default))
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    section.different_first_page_header_footer = True

    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11)
    for name in ("Body Text", "First Paragraph", "Compact"):
        if name in [s.name for s in doc.styles]:
            doc.styles[name].font.name = FONT
    for level, size in ((1, 16), (2, 13), (3, 11.5)):
        style = doc.styles[f"Heading {level}"]
        style.font.name, style.font.size, style.font.bold = FONT, Pt(size), True
        style.font.color.rgb = BLUE
        style.paragraph_format.space_before = Pt(18 if level == 1 else 12)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
    title = doc.styles["Title"]
    title.font.name, title.font.size, title.font.color.rgb = FONT, Pt(28), BLUE
    subtitle = doc.styles["Subtitle"]
    subtitle.font.name, subtitle.font.size = FONT, Pt(14)
    kind = _style(doc, "Document Kind")
    kind.font.name, kind.font.size, kind.font.all_caps, kind.font.color.rgb = FONT, Pt(12), True, BLUE
    kind.paragraph_format.space_before = Pt(120)
    info = _style(doc, "Title Page Info")
    info.font.name, info.font.size = FONT, Pt(11)
    info.paragraph_format.space_after = Pt(2)
    toc_heading = _style(doc, "TOC Heading", base="Heading 1")
    toc_heading.paragraph_format.page_break_before = True
    for level in (1, 2):
        toc = _style(doc, f"toc {level}")
        toc.paragraph_format.left_indent = Cm(0.6 * (level - 1))
        toc.paragraph_format.space_after = Pt(2)
    for name in ("Header", "Footer"):
        style = _style(doc, name)
        style.font.name, style.font.size = FONT, Pt(9)

    header = section.header.paragraphs[0]
    header.text = "{{header}}"
    header.style = doc.styles["Header"]
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    footer.add_run("Sida ")
    _field(footer, "PAGE")
    footer.add_run(" av ")
    _field(footer, "NUMPAGES")

    # Swedish as the document language for spelling and for screen readers.
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "sv-SE")
    doc.core_properties.language = "sv-SE"
    doc.save(str(target))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("templates/reference.docx")
    build(out)
    print(f"wrote {out}")
