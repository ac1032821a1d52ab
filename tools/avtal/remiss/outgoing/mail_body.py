"""The e-mail's body: templates/mail.txt or the round's own `mail.body`, a sandboxed Jinja template.

It may use the fields of the Word templates that make sense for one e-mail (`MAIL_FIELDS`);
an unknown field or a syntax error is reported with its line before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Callable, Mapping

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from ...model.problems import Location, Problems, relative
from ...model.remiss import RoundInfo, round_path
from ...model.yamlfile import read_yaml
from .templates import FIELDS as TEMPLATE_FIELDS

TEMPLATE = Path(__file__).resolve().parents[4] / "templates" / "mail.txt"

# The fields a mail template may use: those of the Word templates (missiv, svarsformulär) that make
# sense for one e-mail, described once, in templates.FIELDS.
MAIL_FIELDS = (
    "party.id",
    "party.name",
    "party.email",
    "party.kommunalforbund",
    "round.id",
    "round.name",
    "round.title",
    "round.diarienummer",
    "round.sent",
    "round.sent_iso",
    "round.deadline",
    "round.deadline_iso",
    "round.version",
    "round.reply_to",
    "sender.organisation",
    "sender.unit",
    "sender.name",
    "sender.role",
    "contacts[].name",
    "contacts[].role",
    "contacts[].organisation",
    "contacts[].email",
    "contacts[].phone",
    "files.zip",
)
FIELDS: dict[str, str] = {name: TEMPLATE_FIELDS[name] for name in MAIL_FIELDS}
_GROUPS = {path[:i] for path in FIELDS for i in range(len(path)) if path[i] in ".["} | {"contacts[]"}


@dataclass(frozen=True)
class BodyTemplate:
    """A checked Jinja template (the same syntax as the Word templates), rendered per party."""

    template: Template
    origin: str

    def fill(self, values: Mapping[str, object]) -> str:
        text = self.template.render(values)
        lines = [line.rstrip() for line in text.strip("\n").splitlines()]
        return "\n".join(lines) + "\n"


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                keep_trailing_newline=True, autoescape=False)


def _path(node: nodes.Node, aliases: Mapping[str, str]) -> str | None:
    """'party.name' for `party.name`, 'contacts[].email' for `c.email` inside `for c in contacts`."""
    if isinstance(node, nodes.Name):
        return aliases.get(node.name, node.name)
    if isinstance(node, nodes.Getattr):
        inner = _path(node.node, aliases)
        return f"{inner}.{node.attr}" if inner is not None else None
    return None


def _check_fields(body: nodes.Node, locate: Callable[[int, str], Location], problems: Problems) -> bool:
    """Every field the template reads must be one of FIELDS (or a group of them); reported with its line."""
    ok = True

    def unknown(node: nodes.Node, path: str) -> None:
        nonlocal ok
        ok = False
        close = get_close_matches(path, [*FIELDS, *_GROUPS], n=1, cutoff=0.6)
        guess = f" (did you mean {{{{ {close[0].replace('[]', '')} }}}}?)" if close else ""
        problems.add(locate(node.lineno, path.rsplit(".", 1)[-1].replace("[]", "")),
                     f"unknown field {{{{ {path.replace('[]', '')} }}}}{guess}: a mail template can use "
                     + ", ".join(FIELDS) + " (README: `avtal remiss mail`)")

    def visit(node: nodes.Node, aliases: dict[str, str]) -> None:
        if isinstance(node, nodes.For):
            visit(node.iter, aliases)
            group = _path(node.iter, aliases)
            inner = dict(aliases, loop="loop")
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = f"{group}[]" if group else "local"
            for child in (*node.body, *node.else_, *([node.test] if node.test else [])):
                visit(child, inner)
            return
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            visit(node.node, aliases)
            aliases[node.target.name] = "local"
            return
        if isinstance(node, (nodes.Name, nodes.Getattr)) and getattr(node, "ctx", "load") == "load":
            path = _path(node, aliases)
            if path is not None:
                root = path.split(".")[0].split("[")[0]
                if root not in ("loop", "local") and path not in FIELDS and path not in _GROUPS:
                    unknown(node, path)
                return
        for child in node.iter_child_nodes():
            visit(child, aliases)

    visit(body, {})
    return ok


def _parse_template(text: str, locate: Callable[[int, str], Location], origin: str,
                    problems: Problems) -> BodyTemplate | None:
    env = _environment()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        problems.add(locate(exc.lineno, ""), f"template syntax: {exc.message}: fields are written "
                     "{{ party.name }}, loops {% for c in contacts %}…{% endfor %}, comments {# … #}")
        return None
    if not _check_fields(tree, locate, problems):
        return None
    return BodyTemplate(env.from_string(text), origin)


def _locate_in(shown: str, text: str, first_line: int) -> Callable[[int, str], Location]:
    """Template line n (1-based) is file line first_line + n - 1; the column is where `needle` is."""
    lines = text.splitlines()

    def locate(line: int, needle: str) -> Location:
        here = lines[line - 1] if 0 < line <= len(lines) else ""
        column = here.find(needle) + 1 if needle and needle in here else 1
        return Location(shown, first_line + line - 1, column)
    return locate


def load_template(sources: Path, info: RoundInfo, problems: Problems, template: Path = TEMPLATE,
                  ) -> BodyTemplate | None:
    """The round's own `mail_body`, or templates/mail.txt; checked before any message is made."""
    body = info.source.mail_body
    if body is not None:
        path = round_path(sources, info.id)
        source = read_yaml(path, info.file, Problems())
        start = source.values.get(("mail_body",)) if source else None
        if start is None:
            return _parse_template(body, lambda line, needle: Location(info.file), info.file, problems)
        # A block scalar (`|`) starts on the line after its indicator; its lines keep their indent.
        block = source.text[start.start_mark.index:start.start_mark.index + 1] in ("|", ">")
        file_lines = source.text.splitlines()
        first = start.start_mark.line + (2 if block else 1)

        def at_round(line: int, needle: str) -> Location:
            number = first + line - 1
            here = file_lines[number - 1] if 0 < number <= len(file_lines) else ""
            column = here.find(needle) + 1 if needle and needle in here else 1
            return Location(info.file, number, column)
        return _parse_template(body, at_round, f"{info.file} (mail_body)", problems)
    shown = relative(template)
    try:
        text = template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(Location(shown), f"cannot read the mail template ({exc}): expected a UTF-8 text file, "
                     "or set mail_body in the round")
        return None
    return _parse_template(text, _locate_in(shown, text, 1), shown, problems)
