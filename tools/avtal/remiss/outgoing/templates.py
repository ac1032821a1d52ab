"""The Word templates of a remiss package: templates/missiv.docx and templates/svarsformular.docx.

They are docxtpl templates (Jinja fields such as `{{ party.name }}` typed into Word), so the
working group edits wording and layout in Word; this module is what the code knows about them:

- `FIELDS`: every field a template may use. `check_template` reads a template's fields the way
  docxtpl does and reports an unknown field (with "did you mean"), a required field that is
  missing, or a Jinja syntax error, quoting the paragraph, before anything is written.
- `Prepared`: a template rendered ONCE per round with a sentinel in place of every value that
  differs per party; each party's file is then the XML with the sentinels replaced by that party's
  (escaped) values. This is exact when the template prints per-party fields as they are, which
  `check_template` verifies statically; otherwise `pack` renders that template per party.
- `python -m avtal.remiss.outgoing.template_design` (re)generates both templates from templates/reference.docx,
  so they look like our documents. After that the .docx files are the source of truth.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable, Iterator
from xml.sax.saxutils import escape as xml_escape

from ...archive import zip_bytes
from ...model.problems import Location, Problems, relative
from ...render.house import TEMPLATES

MISSIV = TEMPLATES / "missiv.docx"
FORM = TEMPLATES / "svarsformular.docx"
REFERENCE = TEMPLATES / "reference.docx"
REGENERATE = "python -m avtal.remiss.outgoing.template_design"

# Every field, with what it holds. `[]` marks a list: `{% for c in contacts %}{{ c.name }}{% endfor %}`.
FIELDS: dict[str, str] = {
    "party.id": "the party's id, e.g. `boras`",
    "party.name": "the party's name, e.g. `Borås Stad`",
    "party.kind": "`region` or `kommun`",
    "party.email": "the registrar's address the package is sent to",
    "party.kommunalforbund": "the name of the party's kommunalförbund (empty for the region)",
    "round.id": "the round's id, e.g. `remiss-2025` (for file paths; readers see `round.name`)",
    "round.name": "what readers call the round, e.g. `Remiss 2025-01-30` (its `name`, else the sent date)",
    "round.title": "the round's title",
    "round.diarienummer": "the case number (dnr), e.g. `RS 2024-03516`",
    "round.sent": "sent date in words, e.g. `30 januari 2025`",
    "round.sent_iso": "sent date, `2025-01-30`",
    "round.deadline": "last day to answer in words, e.g. `9 maj 2025`",
    "round.deadline_iso": "last day to answer, `2025-05-09`",
    "round.version": "the frozen version sent, e.g. `remiss-2025` (its id; readers see `round.version_name`)",
    "round.version_name": "what readers call that version, e.g. `Remissversion 2025-01-30` (its title, else status "
                          "and date)",
    "round.compared_with": "the id of the version the redline compares with (empty if none)",
    "round.compared_with_name": "what readers call that version, e.g. `Arbetsutkast 2024-11-15` (empty if none)",
    "round.reply_to": "where answers are sent (the registrar's address)",
    "sender.organisation": "who sends the remiss",
    "sender.unit": "the sending unit (may be empty)",
    "sender.name": "who signs",
    "sender.role": "the signer's role",
    "contacts[].name": "a contact person's name",
    "contacts[].role": "their role",
    "contacts[].organisation": "their organisation",
    "contacts[].email": "their e-mail address",
    "contacts[].phone": "their telephone number (may be empty)",
    "letter.intro[]": "the paragraphs of the round's letter text",
    "letter.questions[]": "the questions the parties are asked",
    "letter.closing[]": "the closing paragraphs (may be none)",
    "remisslista[].group": "a group of the remisslista, e.g. `Kommuner i Fyrbodals kommunalförbund`, `Kommunalförbund`",
    "remisslista[].members": "the group's remissinstanser, names joined by commas (invented examples marked)",
    "remisslista[].party": "true for a group of parties, false for remissinstanser that are not parties",
    "parties_count": "how many parties the remiss goes to",
    "others_count": "how many remissinstanser that are not parties it goes to",
    "documents[].number": "1, 2, … in package order",
    "documents[].id": "the document's id, e.g. `huvudavtal`",
    "documents[].title": "the document's title",
    "documents[].short_title": "the document's short title",
    "documents[].kind": "Huvudavtal, Ramavtal or Överenskommelse",
    "documents[].word": "its Word file's name in the package",
    "documents[].pdf": "its PDF file's name in the package",
    "documents[].rows[].id": "a clause id (svarsformulär rows)",
    "documents[].rows[].number": "the clause's number, e.g. `3.2`",
    "documents[].rows[].title": "the clause's heading",
    "documents[].rows[].level": "1 for an avsnitt, 2 for a clause, 3 for a sub-clause",
    "documents[].rows[].marker": "the row's hidden clause id; keep it, formatted as hidden text, in the row",
    "redline.compared_with": "the earlier version's id (the whole `redline` is empty when the round has none)",
    "redline.compared_with_name": "what readers call the earlier version",
    "redline.files[]": "the redline's file names in the package",
    "files.missiv_word": "this letter's Word file name",
    "files.missiv_pdf": "this letter's PDF file name",
    "files.form": "the svarsformulär's file name",
    "files.answer_word": "how the party should name its answer in Word",
    "files.answer_pdf": "how the party should name its answer as PDF",
    "files.zip": "the package's zip file name",
    "attachments[]": "every file in the package except the missiv itself",
}
# Values that differ between parties: rendered as sentinels once, substituted per party.
PER_PARTY = ("party", "files", "attachments")

MISSIV_REQUIRED: dict[str, str] = {
    "party.name": "the letter must name the party it is sent to",
    "round.diarienummer": "the answer must quote the case number",
    "round.deadline": "the letter must state the deadline",
    "round.reply_to": "the letter must say where to send the answer",
}
FORM_REQUIRED: dict[str, str] = {
    "party.name": "the form must name the party it belongs to",
    "round.diarienummer": "the form must quote the case number",
    "round.deadline": "the form must state the deadline",
    "documents[].rows[].marker": "each row carries its clause id (hidden) so the answer is read back without guessing",
    "documents[].rows[].number": "each row shows the clause number the party comments on",
    "documents[].rows[].title": "each row shows the clause heading",
}
# Hidden texts in the form's fixed tables: where the general comments and the decision are written.
FORM_MARKERS: dict[str, str] = {
    "[avtal-field:general]": "the label row of the table for general comments",
    "[avtal-field:decided.body]": "the label cell 'Beslutande organ'",
    "[avtal-field:decided.date]": "the label cell 'Datum'",
    "[avtal-field:decided.paragraph]": "the label cell 'Paragraf'",
    "[avtal-field:covers]": "the label cell 'Svaret gäller även för' (a joint answer)",
    "[avtal-field:consequences.economic]": "the label cell 'Ekonomiska konsekvenser'",
    "[avtal-field:consequences.children]": "the label cell 'Konsekvenser för barn'",
}


def _groups() -> set[str]:
    """Every proper prefix of a field: 'party', 'documents', 'documents[]', 'documents[].rows', …"""
    out: set[str] = set()
    for path in FIELDS:
        parts = re.split(r"(?=\.)|(?=\[\])", path)
        for i in range(1, len(parts)):
            out.add("".join(parts[:i]))
    return out


GROUPS = _groups()


# -- reading a template's fields -------------------------------------------------------------

@dataclass(frozen=True)
class Use:
    """One use of a field in a template."""

    path: str  # e.g. 'party.name', 'contacts[].email', 'loop.index'
    where: str  # 'paragraph 12 ("Svara senast …")' or 'page header'
    kind: str  # 'print': printed as is, {{ party.name }}; 'loop': {% for x in path %}; 'expr': anything else

    @property
    def plain(self) -> bool:
        return self.kind == "print"


@dataclass
class TemplateInfo:
    """What a template uses, and whether per-party values may be substituted into one rendering."""

    path: Path
    uses: list[Use] = field(default_factory=list)
    markers: set[str] = field(default_factory=set)

    @property
    def substitutable(self) -> bool:
        """Per-party values are only printed (or looped over: every party's lists have the same length)."""
        return all(u.kind == "print" or (u.kind == "loop" and f"{u.path}[]" in GROUPS | set(FIELDS))
                   for u in self.uses if u.path.split(".")[0].split("[")[0] in PER_PARTY)


def _patched_sources(path: Path) -> list[tuple[str, str]]:
    """The Jinja source of each part as docxtpl renders it: body, page headers, page footers."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(path))
    tpl.init_docx()
    out = [("body", tpl.patch_xml(tpl.get_xml()))]
    for uri, label in ((tpl.HEADER_URI, "page header"), (tpl.FOOTER_URI, "page footer")):
        for _, part in tpl.get_headers_footers(uri):
            out.append((label, tpl.patch_xml(tpl.get_part_xml(part))))
    return out


def _expr_path(node: Any, scope: dict[str, str]) -> str | None:
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return scope.get(node.name, node.name)
    if isinstance(node, nodes.Getattr):
        base = _expr_path(node.node, scope)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        base = _expr_path(node.node, scope)
        return f"{base}.{node.arg.value}" if base else None
    return None


def _uses(node: Any, scope: dict[str, str], where: Callable[[int], str], out: list[Use]) -> None:
    """Collect field uses from a Jinja AST, following loop variables (`for c in contacts` → `contacts[]`)."""
    from jinja2 import nodes

    if isinstance(node, nodes.For):
        iterated = _expr_path(node.iter, scope)
        if iterated is not None:
            out.append(Use(iterated, where(node.iter.lineno), kind="loop"))
        else:
            _uses(node.iter, scope, where, out)
        inner = dict(scope, loop="loop")
        if isinstance(node.target, nodes.Name):
            inner[node.target.name] = f"{iterated}[]" if iterated else "?"
        for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
            _uses(child, inner, where, out)
        return
    if isinstance(node, nodes.Output):
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                continue
            path = _expr_path(child, scope)
            if path is not None:
                out.append(Use(path, where(child.lineno), kind="print"))
            else:
                _uses(child, scope, where, out)
        return
    if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
        path = _expr_path(node, scope)
        if path is not None:
            out.append(Use(path, where(node.lineno), kind="expr"))
            return
    for child in node.iter_child_nodes():
        _uses(child, scope, where, out)


_TAG = re.compile(r"<[^>]+>")
_MARKER = re.compile(r"\[avtal-[a-z]+:[^\]\s]*\]")


def read_template(path: Path, problems: Problems) -> TemplateInfo | None:
    """The fields a template uses (and its hidden markers); a syntax error or unreadable file is a problem."""
    from jinja2 import Environment, TemplateSyntaxError

    shown = relative(path)
    if not path.exists():
        problems.add(Location(shown), f"missing template {shown}: restore it from git, or regenerate it with "
                     f"`{REGENERATE}`")
        return None
    try:
        sources = _patched_sources(path)
    except Exception as exc:  # python-docx raises several types for a file that is not a .docx
        problems.add(Location(shown), f"template {shown} cannot be read as a Word file ({exc.__class__.__name__}): "
                     f"save it as .docx in Word, or regenerate it with `{REGENERATE}`")
        return None
    info = TemplateInfo(path)
    env = Environment()
    for label, source in sources:
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)  # as docxtpl does: line n = paragraph n-1
        lines = source.split("\n")
        info.markers.update(_MARKER.findall(_TAG.sub("", source)))

        def where(lineno: int, label: str = label, lines: list[str] = lines) -> str:
            if label != "body":
                return label
            text = " ".join(_TAG.sub("", lines[lineno - 1] if 0 < lineno <= len(lines) else "").split())
            return f'paragraph {max(lineno - 1, 1)} ("{text[:70]}{"…" if len(text) > 70 else ""}")'

        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            problems.add(Location(shown), f"{where(exc.lineno or 0)}: template syntax error: {exc.message}; "
                         "each field is written {{ name }} and each loop {%p for … %} … {%p endfor %}",
                         where=label)
            continue
        _uses(tree, {}, where, info.uses)
    return info


def check_template(path: Path, required: dict[str, str], problems: Problems,
                   markers: dict[str, str] | None = None) -> TemplateInfo | None:
    """Read a template and report unknown fields, missing required fields and missing hidden markers."""
    info = read_template(path, problems)
    if info is None:
        return None
    shown = relative(path)
    known = sorted(FIELDS)
    for use in info.uses:
        if use.path == "loop" or use.path.startswith("loop.") or use.path in FIELDS:
            continue
        if use.path in GROUPS and use.kind != "print":
            continue  # a loop over a list or a condition on a group, e.g. {%p if redline %}
        if use.path in GROUPS:
            leaves = [k for k in known if k.startswith(use.path)]
            problems.add(Location(shown), f"{use.where}: '{{{{ {use.path} }}}}' is a group of fields, not a field: "
                         f"print one of {', '.join(leaves[:4])}{' …' if len(leaves) > 4 else ''}", where=use.path)
            continue
        close = get_close_matches(use.path, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{{{{ {close[0]} }}}}'?)" if close else ""
        problems.add(Location(shown), f"{use.where}: unknown field '{{{{ {use.path} }}}}'{hint}: correct it in Word; "
                     "the fields are listed in README (Remiss packages, template fields)", where=use.path)
    used = {u.path for u in info.uses}
    for path_, why in required.items():
        if path_ not in used:
            problems.add(Location(shown), f"missing field '{{{{ {path_} }}}}': {why}; add it back in Word, or "
                         f"regenerate the template with `{REGENERATE}`", where=path_)
    for marker, what in (markers or {}).items():
        if marker not in info.markers:
            problems.add(Location(shown), f"missing hidden marker '{marker}' in {what}: it tells the reader where "
                         f"that answer is written; regenerate the template with `{REGENERATE}`", where=marker)
    return info


# -- rendering once, substituting per party --------------------------------------------------

SENTINEL_OPEN, SENTINEL_CLOSE = "\ue000", "\ue001"  # private-use characters: never in real text
_SENTINEL_BYTES = re.compile(rb"\xee\x80\x80([A-Za-z0-9_]+)\xee\x80\x81")
_SENTINEL_TEXT = re.compile("\ue000([A-Za-z0-9_]+)\ue001")


def sentinel(key: str) -> str:
    return f"{SENTINEL_OPEN}{key}{SENTINEL_CLOSE}"


def _leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path, value


def _replace_leaves(value: Any, fn: Callable[[tuple, Any], Any], path: tuple = ()) -> Any:
    if isinstance(value, dict):
        return {k: _replace_leaves(v, fn, (*path, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_replace_leaves(v, fn, (*path, i)) for i, v in enumerate(value)]
    return fn(path, value)


def sentinel_context(context: dict[str, Any]) -> dict[str, Any]:
    """The context with every per-party leaf replaced by a sentinel named after its path."""
    def swap(path: tuple, _value: Any) -> str:
        return sentinel("_".join(map(str, path)))

    return {k: (_replace_leaves(v, swap, (k,)) if k in PER_PARTY else v) for k, v in context.items()}


def party_values(context: dict[str, Any]) -> dict[str, str]:
    """Sentinel key → the text Jinja would print for that leaf (None prints 'None', as Jinja does)."""
    return {"_".join(map(str, path)): str(value) for key in PER_PARTY if key in context
            for path, value in _leaves(context[key], (key,))}


def substitute_xml(data: bytes, values: dict[str, str]) -> bytes:
    """Replace sentinels in XML bytes by XML-escaped values (valid in text and in attributes)."""
    if SENTINEL_OPEN.encode() not in data:
        return data
    return _SENTINEL_BYTES.sub(lambda m: xml_escape(values[m[1].decode()], {'"': "&quot;"}).encode("utf-8"), data)


def substitute_text(text: str, values: dict[str, str]) -> str:
    return _SENTINEL_TEXT.sub(lambda m: values[m[1]], text) if SENTINEL_OPEN in text else text


def render_template(path: Path, context: dict[str, Any]) -> bytes:
    """docxtpl's own rendering of a template (values escaped): the reference the fast path equals."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(path))
    tpl.render(context, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def read_parts(data: bytes) -> dict[str, bytes]:
    """A zip's members in stored order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


@dataclass
class Prepared:
    """A Word file rendered once for a round with sentinels; `for_party` fills in one party."""

    parts: dict[str, bytes]
    when: dt.datetime

    def party_parts(self, values: dict[str, str]) -> dict[str, bytes]:
        return {name: substitute_xml(data, values) for name, data in self.parts.items()}

    def for_party(self, values: dict[str, str]) -> bytes:
        return zip_bytes(self.party_parts(values).items(), self.when)
