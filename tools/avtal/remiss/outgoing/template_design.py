"""Generates templates/missiv.docx and templates/svarsformular.docx from templates/reference.docx.

`python -m avtal.remiss.outgoing.template_design` (re)writes both, so they look like our documents;
`--fields` prints the fields a template may use. The design here is only the starting point:
once written, the .docx files are the templates, edited in Word.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...render.house import TEMPLATES
from ..form_contract import CLAUSE_COLUMNS
from .templates import FIELDS, FORM, MISSIV, REFERENCE

BULLETS, NUMBERS = 1101, 1102  # numbering ids the generated templates add for their lists


def _base(reference: Path, landscape: bool, header: str):
    """A document with reference.docx's styles, header and footer, and an empty body."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Cm, Pt

    doc = Document(str(reference))
    body = doc.element.body
    for element in list(body):
        if element.tag != qn("w:sectPr"):
            body.remove(element)
    section = doc.sections[0]
    section.different_first_page_header_footer = False
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin, section.bottom_margin = Cm(2.0), Cm(1.8)
    section.header.paragraphs[0].text = header
    numbering = doc.part.numbering_part.element
    for num_id, fmt, text in ((BULLETS, "bullet", "\u2022"), (NUMBERS, "decimal", "%1.")):
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{num_id}"><w:multiLevelType w:val="singleLevel"/>'
            f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
            '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="426" w:hanging="284"/></w:pPr></w:lvl></w:abstractNum>')
        first = numbering.find(qn("w:num"))
        if first is not None:
            first.addprevious(abstract)
        else:
            numbering.append(abstract)
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId '
                                   f'w:val="{num_id}"/></w:num>'))
    cell_style = doc.styles.add_style("Form Cell", 1)
    cell_style.base_style = doc.styles["Compact"]
    cell_style.font.size = Pt(10)
    cell_style.paragraph_format.space_before = Pt(1)
    cell_style.paragraph_format.space_after = Pt(1)
    return doc


def _para(doc, parts: list[tuple[str, str]] | str, style: str = "Body Text", numbered: int | None = None):
    """A paragraph of runs: (text, look) where look is '' (plain), 'b' (bold) or 'h' (hidden)."""
    if isinstance(parts, str):
        parts = [(parts, "")]
    paragraph = doc.add_paragraph(style=style)
    for text, look in parts:
        run = paragraph.add_run(text)
        run.bold = True if "b" in look else None
        if "h" in look:
            run.font.hidden = True
    if numbered:
        numpr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        numpr.get_or_add_ilvl().val = 0
        numpr.get_or_add_numId().val = numbered
    return paragraph


def _loop(doc, tag: str):
    """A paragraph holding only a docxtpl tag such as {%p for x in xs %} (removed when rendered)."""
    return doc.add_paragraph(tag, style="Body Text")


def _cell(cell, parts: list[tuple[str, str]] | str, *, shade: str | None = None, style: str = "Form Cell") -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    if isinstance(parts, str):
        parts = [(parts, "")] if parts else []
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    for text, look in parts:
        run = paragraph.add_run(text)
        run.bold = True if "b" in look else None
        if "h" in look:
            run.font.hidden = True
    if shade:
        cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" '
                                                    f'w:fill="{shade}"/>'))


def _table(doc, widths_cm: list[float], rows: int, header_rows: int = 1):
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Cm

    table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.style = doc.styles["Table"]
    table.autofit = False
    borders = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="8C8C8C"/>'
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    props = table._tbl.tblPr
    later = next((c for c in props if c.tag.rsplit("}", 1)[1] in ("shd", "tblLayout", "tblCellMar", "tblLook",
                                                                  "tblCaption", "tblDescription")), None)
    element = parse_xml(f'<w:tblBorders {nsdecls("w")}>{borders}</w:tblBorders>')
    if later is not None:
        later.addprevious(element)  # the schema's order: before layout, margins and look
    else:
        props.append(element)
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)  # the grid: what LibreOffice lays out by
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)  # the cells: what Word lays out by
    for row in table.rows[:header_rows]:
        row._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))
    return table


def design_missiv(reference: Path = REFERENCE):
    """The missiv (cover letter), portrait, in the house style."""
    doc = _base(reference, landscape=False, header="{{ sender.organisation }} · Dnr {{ round.diarienummer }}")
    _para(doc, [("Datum: ", "b"), ("{{ round.sent }}", "")])
    _para(doc, [("Diarienummer: ", "b"), ("{{ round.diarienummer }}", "")])
    _para(doc, [("Till: ", "b"), ("{{ party.name }}", "")])
    _para(doc, "{{ round.title }}", "Heading 1")
    _para(doc, "{{ party.name }} ges härmed tillfälle att yttra sig över förslaget. Svaret ska ha kommit in "
               "senast den {{ round.deadline }}.")
    _loop(doc, "{%p for paragraph in letter.intro %}")
    _para(doc, "{{ paragraph }}")
    _loop(doc, "{%p endfor %}")
    _para(doc, "Remitterade handlingar", "Heading 2")
    _para(doc, "Remissen omfattar följande handlingar, {{ round.version_name }}. Var och en bifogas som "
               "Word-fil och som tillgänglig PDF (se Bilagor):")
    _loop(doc, "{%p for document in documents %}")
    _para(doc, "{{ document.title }}", "Compact", BULLETS)
    _loop(doc, "{%p endfor %}")
    _loop(doc, "{%p if redline %}")
    _para(doc, "Ändringarna jämfört med {{ redline.compared_with_name }} visas med markerade ändringar i:")
    _loop(doc, "{%p for file in redline.files %}")
    _para(doc, "{{ file }}", "Compact", BULLETS)
    _loop(doc, "{%p endfor %}")
    _loop(doc, "{%p endif %}")
    _loop(doc, "{%p if letter.questions %}")
    _para(doc, "Frågor till remissinstanserna", "Heading 2")
    _para(doc, "Vi vill särskilt ha svar på följande frågor:")
    _loop(doc, "{%p for question in letter.questions %}")
    _para(doc, "{{ question }}", "Compact", NUMBERS)
    _loop(doc, "{%p endfor %}")
    _loop(doc, "{%p endif %}")
    _para(doc, "Konsekvensanalys", "Heading 2")
    _para(doc, "Beskriv i svaret vilka konsekvenser förslaget får för er organisation och för dem ni ansvarar för:")
    _para(doc, "ekonomiska konsekvenser, till exempel ändrade kostnader för personal, läkarinsatser, hjälpmedel "
               "eller förbrukningsartiklar, gärna med en uppskattning av belopp och vad den bygger på", "Compact",
          BULLETS)
    _para(doc, "konsekvenser för barn och unga, bedömda utifrån barnets bästa enligt barnkonventionen (lag "
               "2018:1197)", "Compact", BULLETS)
    _para(doc, "Om ni bedömer att förslaget inte får några sådana konsekvenser, skriv det.")
    _para(doc, "Så lämnar ni ert svar", "Heading 2")
    _para(doc, "Skicka svaret med e-post till {{ round.reply_to }} senast den {{ round.deadline }}. Ange "
               "diarienummer {{ round.diarienummer }} och {{ party.name }} i ämnesraden.")
    _para(doc, "Lämna svaret i två versioner: en redigerbar Word-fil och en tillgänglig PDF. Ange er organisations "
               "namn i filnamnen, till exempel:")
    _para(doc, "{{ files.answer_word }}", "Compact", BULLETS)
    _para(doc, "{{ files.answer_pdf }}", "Compact", BULLETS)
    _para(doc, "Använd gärna det bifogade svarsformuläret, {{ files.form }}. Hänvisa till avsnittens nummer, ange "
               "ert ställningstagande (instämmer, invänder, synpunkt eller ingen erinran) och börja gärna med en "
               "sammanfattning. Ange vilket organ som har beslutat om svaret, med datum och paragraf. Har ni inga "
               "synpunkter räcker det att svara ”inga synpunkter”.")
    _para(doc, "Remissvaren är allmänna handlingar", "Heading 2")
    _para(doc, "Ett remissvar blir en allmän handling när det har kommit in (2 kap. 4 och 9 §§ "
               "tryckfrihetsförordningen). Det lämnas ut till den som begär det, om inte uppgifter i det omfattas av "
               "sekretess enligt offentlighets- och sekretesslagen (2009:400), och det redovisas i "
               "remissammanställningen. Skriv därför inte personuppgifter eller andra känsliga uppgifter i svaret "
               "om de inte behövs för att förstå det.")
    _para(doc, "Kontaktpersoner", "Heading 2")
    _loop(doc, "{%p for contact in contacts %}")
    _para(doc, "{{ contact.name }}, {{ contact.role }}, {{ contact.organisation }}, {{ contact.email }}"
               "{% if contact.phone %}, telefon {{ contact.phone }}{% endif %}", "Compact", BULLETS)
    _loop(doc, "{%p endfor %}")
    _loop(doc, "{%p for paragraph in letter.closing %}")
    _para(doc, "{{ paragraph }}")
    _loop(doc, "{%p endfor %}")
    _para(doc, "Med vänlig hälsning")
    _para(doc, [("{{ sender.name }}", "b")], "Compact")
    _para(doc, "{{ sender.role }}", "Compact")
    _loop(doc, "{%p if sender.unit %}")
    _para(doc, "{{ sender.unit }}", "Compact")
    _loop(doc, "{%p endif %}")
    _para(doc, "{{ sender.organisation }}", "Compact")
    _para(doc, "Remisslista", "Heading 2")
    _para(doc, "Remissen skickas till avtalets {{ parties_count }} parter och till {{ others_count }} "
               "remissinstanser som inte är parter. Också de senare kan lämna synpunkter.")
    _loop(doc, "{%p for group in remisslista %}")
    _para(doc, [("{{ group.group }}: ", "b"), ("{{ group.members }}", "")], "Compact")
    _loop(doc, "{%p endfor %}")
    _para(doc, "Bilagor", "Heading 2")
    _loop(doc, "{%p for file in attachments %}")
    _para(doc, "{{ file }}", "Compact", BULLETS)
    _loop(doc, "{%p endfor %}")
    return doc


FORM_WIDTHS = [1.9, 5.4, 4.4, 7.0, 7.0]  # cm, 25.7 cm between the landscape margins
FIELD_WIDTHS = [8.0, 17.7]


def _fields(doc, rows: list[tuple[str, str]], loop: tuple[str, str] | None = None):
    """A table of fields: per row a shaded label with its hidden key, and an empty cell for the answer."""
    extra = 2 if loop else 0
    table = _table(doc, FIELD_WIDTHS, rows=len(rows) + extra, header_rows=0)
    body = table.rows[1:-1] if loop else table.rows
    for row, (key, label) in zip(body, rows):
        _cell(row.cells[0], [(f"[avtal-field:{key}]", "h"), (label, "b")], shade="DCE6F0")
        _cell(row.cells[1], "")
    if loop:
        _cell(table.rows[0].cells[0], loop[0])
        _cell(table.rows[-1].cells[0], loop[1])
    return table


def design_form(reference: Path = REFERENCE):
    """The svarsformulär, landscape: instructions, general comments, the letter's questions, joint answer,
    consequences, decision, one table per document. The writer turns every empty answer cell into a content
    control (form.py), so the template itself stays plain text a working group can edit in Word."""
    from docx.oxml.ns import qn
    from docx.shared import RGBColor

    doc = _base(reference, landscape=True, header="Svarsformulär · {{ round.name }} · Dnr {{ round.diarienummer }}")
    placeholder = doc.styles.add_style("Placeholder Text", 2)  # Word's style for a content control's placeholder
    placeholder.font.color.rgb = RGBColor(0x59, 0x59, 0x59)  # 7:1 on white: readable, yet not an answer
    table_style = doc.styles["Table"].element
    missing = table_style.find(qn("w:basedOn"))  # reference.docx bases it on TableNormal, which it lacks
    if missing is not None and missing.get(qn("w:val")) not in [s.style_id for s in doc.styles]:
        table_style.remove(missing)
    _para(doc, "Svarsformulär", "Heading 1")
    _para(doc, "{{ round.title }}")
    _para(doc, [("Remissinstans: ", "b"), ("{{ party.name }}", "")], "Compact")
    _para(doc, [("Diarienummer: ", "b"), ("{{ round.diarienummer }}", "")], "Compact")
    _para(doc, [("Svara senast: ", "b"), ("{{ round.deadline }}, till {{ round.reply_to }}", "")], "Compact")
    _para(doc, "Så fyller ni i formuläret", "Heading 2")
    for text in (
        "Välj ert ställningstagande till ett avsnitt i listan i kolumnen Ställningstagande: instämmer, invänder, "
        "synpunkt eller ingen erinran. Avsnitt ni inte vill kommentera lämnar ni orörda.",
        "Skriv motiveringen i kolumnen Kommentar och ett eventuellt förslag till ny lydelse i kolumnen Förslag till "
        "lydelse. Rutorna växer när ni skriver.",
        "Avsnittens nummer och rubriker är låsta: formuläret läses in när svaren sammanställs.",
        "Svaret är en allmän handling när det kommer in.",
        "Spara formuläret som Word-fil och skicka det tillsammans med en PDF till {{ round.reply_to }}, med "
        "diarienummer {{ round.diarienummer }} och {{ party.name }} i ämnesraden, till exempel som "
        "{{ files.answer_word }}.",
    ):
        _para(doc, text, "Compact", BULLETS)
    _para(doc, "Sammanfattning och övergripande synpunkter", "Heading 2")
    general = _table(doc, [25.7], rows=2)
    _cell(general.rows[0].cells[0], [("[avtal-field:general]", "h"), ("Skriv er sammanfattning och era övergripande "
                                     "synpunkter i rutan nedan.", "")], shade="DCE6F0")
    _cell(general.rows[1].cells[0], "")
    _min_height(general.rows[1], 3.0)
    _loop(doc, "{%p if letter.questions %}")
    _para(doc, "Remissens frågor", "Heading 2")
    _para(doc, "Svara gärna på de frågor som missivet ställer.")
    _fields(doc, [("question.{{ loop.index }}", "{{ loop.index }}. {{ question }}")],
            loop=("{%tr for question in letter.questions %}", "{%tr endfor %}"))
    _loop(doc, "{%p endif %}")
    _para(doc, "Gemensamt svar", "Heading 2")
    _para(doc, "Lämnar ni ett gemensamt svar för flera kommuner? Skriv då vilka, så att svaret räknas för var "
               "och en av dem.")
    _fields(doc, [("covers", "Svaret gäller även för (övriga kommuner)")])
    _para(doc, "Konsekvenser", "Heading 2")
    _para(doc, "Beskriv vilka konsekvenser förslaget får för er organisation.")
    _fields(doc, [("consequences.economic", "Ekonomiska konsekvenser"),
                  ("consequences.children", "Konsekvenser för barn (barnkonsekvensanalys)")])
    _para(doc, "Beslut om svaret", "Heading 2")
    _fields(doc, [("decided.body", "Beslutande organ (till exempel kommunstyrelsen)"),
                  ("decided.date", "Datum för beslutet"), ("decided.paragraph", "Paragraf (§)")])
    _para(doc, "Synpunkter per avsnitt", "Heading 2")
    _loop(doc, "{%p for document in documents %}")
    _para(doc, "{{ document.number }}. {{ document.title }}", "Heading 3")
    table = _table(doc, FORM_WIDTHS, rows=4)
    for cell, (key, label) in zip(table.rows[0].cells, CLAUSE_COLUMNS):
        _cell(cell, [(f"[avtal-col:{key}]", "h"), (label, "b")], shade="DCE6F0")
    _cell(table.rows[1].cells[0], "{%tr for row in document.rows %}")
    _cell(table.rows[2].cells[0], [("{{ row.marker }}", "h"), ("{{ row.number }}", "")])
    _cell(table.rows[2].cells[1], "{{ row.title }}")
    for cell in table.rows[2].cells[2:]:
        _cell(cell, "")
    _cell(table.rows[3].cells[0], "{%tr endfor %}")
    _loop(doc, "{%p endfor %}")
    _para(doc, "Tack för ert svar.")
    return doc


def _min_height(row, cm: float) -> None:
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.shared import Cm

    row.height, row.height_rule = Cm(cm), WD_ROW_HEIGHT_RULE.AT_LEAST


def _generate(target_missiv: Path, target_form: Path) -> None:
    design_missiv().save(str(target_missiv))
    design_form().save(str(target_form))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m avtal.remiss.outgoing.template_design",
                                     description="Regenerate templates/missiv.docx and templates/svarsformular.docx "
                                     "from templates/reference.docx (overwrites edits made in Word).")
    parser.add_argument("--out", type=Path, default=TEMPLATES, help="folder to write into (default: templates/)")
    parser.add_argument("--fields", action="store_true", help="print the template fields as a markdown table")
    args = parser.parse_args(argv)
    if args.fields:
        print("| field | holds |\n| --- | --- |")
        for name, what in FIELDS.items():
            print(f"| `{{{{ {name} }}}}` | {what} |")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    _generate(args.out / MISSIV.name, args.out / FORM.name)
    for name in (MISSIV.name, FORM.name):
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
