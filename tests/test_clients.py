"""The validators themselves: each one must reject a file we know to be broken.

Without this a validator that silently passes everything (wrong classpath, wrong
profile, an empty page list) would make every conformance test meaningless.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfWriter

from .clients import axe, openxml_errors, verapdf

pytestmark = pytest.mark.client


def test_openxml_audit_rejects_a_hyperlink_inside_an_insertion(tmp_path: Path):
    good = tmp_path / "good.docx"
    Document().save(good)
    bad = tmp_path / "bad.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b'<w:body><w:p><w:ins w:id="1" w:author="A"><w:hyperlink w:anchor="x">'
                                                 b"<w:r><w:t>text</w:t></w:r></w:hyperlink></w:ins></w:p>", 1)
            dst.writestr(item, data)
    assert not any("hyperlink" in e for e in openxml_errors(good))
    assert any("hyperlink" in e for e in openxml_errors(bad))


def test_verapdf_fails_an_untagged_pdf_on_both_profiles(tmp_path: Path):
    pdf = tmp_path / "plain.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf.write_bytes(buffer.getvalue())
    verdicts = verapdf([pdf])
    assert verdicts[(str(pdf), "ua1")], "an untagged PDF cannot be PDF/UA-1"
    assert verdicts[(str(pdf), "2b")], "a PDF without XMP/output intent cannot be PDF/A-2b"


def test_axe_finds_a_missing_alt_and_the_reflow_check_a_wide_table(tmp_path: Path):
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="sv"><head><title>t</title>'
                    '<meta name="viewport" content="width=device-width"></head><body><main>'
                    '<img src="x.png"><table><tr><td style="min-width:900px">bred</td></tr></table>'
                    "</main></body></html>", encoding="utf-8")
    records = {r["width"]: r for r in axe([page], (1280, 320))}
    assert "image-alt" in {v["id"] for v in records[1280]["violations"]}
    assert records[320]["scrollWidth"] > 320
