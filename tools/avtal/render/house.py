"""Where the house style lives: templates/ holds Word's reference.docx, the typst page designs and the web frame."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
WEB_TEMPLATES = TEMPLATES / "web"
REFERENCE_DOCX = TEMPLATES / "reference.docx"
DOCUMENT_DESIGN = TEMPLATES / "document.typ"
