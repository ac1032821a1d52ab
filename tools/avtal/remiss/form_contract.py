"""What the svarsformulär's writer and reader agree on: hidden markers, field keys, controls.

One small module both sides import, so a field cannot be written under one name and read
under another. The template (templates/svarsformular.docx) carries the hidden markers;
the writer turns every answer cell into a Word content control; the reader finds the
answers by the markers (never by the controls' tags, which LibreOffice 7.4 drops on a
re-save) and treats a control's placeholder text as empty.
"""

from __future__ import annotations

import re

from ..model.remiss import STANCES

FORM_KIND = "svarsformulär 2"  # value of avtal.form; 2: stance as a drop-down, answer fields as content controls

ID_MARK = re.compile(r"\[avtal-id:([^\]\s]+)\]")
COL_MARK = re.compile(r"\[avtal-col:([a-z-]+)\]")
FIELD_MARK = re.compile(r"\[avtal-field:([a-z0-9.]+)\]")
FORM_MARK = re.compile(r"\[avtal-form ([^\]]*)\]")
ANY_MARK = re.compile(r"\[avtal-(?:id|col|field):[^\]\s]*\]|\[avtal-form [^\]]*\]")

# The columns of a clause table (hidden marker key, visible header).
CLAUSE_COLUMNS: tuple[tuple[str, str], ...] = (("number", "Avsnitt"), ("title", "Rubrik"),
                                               ("stance", "Ställningstagande"), ("comment", "Kommentar"),
                                               ("proposal", "Förslag till lydelse"))

# Layout 1 (forms sent before the drop-down): one column per stance, marked with an X. Still read.
STANCE_COLUMNS = (("instämmer", "instammer", "Instämmer"), ("invänder", "invander", "Invänder"),
                  ("synpunkt", "synpunkt", "Synpunkt"), ("ingen erinran", "ingen-erinran", "Ingen erinran"))

# The form's fields outside the clause tables: key → the label the template shows (and the
# reader falls back to when the hidden marker was lost). `question.N` is the round letter's
# question N (1-based); its label is the question itself.
FIELD_LABELS: dict[str, str] = {
    "covers": "Svaret gäller även för",
    "consequences.economic": "Ekonomiska konsekvenser",
    "consequences.children": "Konsekvenser för barn",
    "decided.body": "Beslutande organ",
    "decided.date": "Datum för beslutet",
    "decided.paragraph": "Paragraf",
}
QUESTION = "question."
LINE_FIELDS = frozenset({"covers", "decided.body", "decided.date", "decided.paragraph"})  # one line each


def question_key(number: int) -> str:
    return f"{QUESTION}{number}"


def field_of_label(label: str) -> str | None:
    """The field a visible label names (for a form whose hidden markers were lost); None if none."""
    text = " ".join(label.split()).casefold()
    for key, shown in FIELD_LABELS.items():
        if text.startswith(shown.casefold()):
            return key
    for key, start in (("decided.date", "datum"), ("decided.paragraph", "paragraf")):
        if text.startswith(start):
            return key
    numbered = re.match(r"(\d{1,2})\.\s", text)
    return question_key(int(numbered[1])) if numbered else None


# The stance drop-down offers the model's stances, shown capitalised; the value is the stance itself.
STANCE_CHOICES: tuple[tuple[str, str], ...] = tuple((s[0].upper() + s[1:], s) for s in STANCES)

# Placeholder texts of the controls. Word shows them greyed (w:showingPlcHdr); LibreOffice 7.4
# drops that flag on a re-save and keeps the text, so the reader reads these texts as empty.
STANCE_PLACEHOLDER = "Välj ställningstagande"
TEXT_PLACEHOLDER = "Skriv här"
PLACEHOLDERS = frozenset({STANCE_PLACEHOLDER.casefold(), TEXT_PLACEHOLDER.casefold()})
PLACEHOLDER_STYLE = "PlaceholderText"  # Word's own character style for placeholder text


def is_placeholder(text: str) -> bool:
    return " ".join(text.split()).casefold().rstrip(".…") in PLACEHOLDERS
