"""What only the server shows: the remiss round beside the text, and the live-update script.

The round is read from its record (answers, status) each time a round page is asked for and
written by the web edition's own page writer, so it looks like the published pages; it is a
view of the working sources, never a file in dist/.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from ..model import Clause, Corpus, Document
from ..model.remiss import Answer, Comment, RoundInfo, load_round, round_ids
from ..model.problems import Problem, SourceError
from ..remiss.record.answers import live_comments, load_answers
from ..remiss.record.status import status_of
from ..remiss.report.collect import STANCE_LABEL, STATE_LABEL
from ..render import ast, wording
from ..render.tree import TreeBuilder
from ..render.site import page
from ..render.web import render_page

ROUND_VIEW = "runda"  # the query that asks a document page for its round view: huvudavtal.html?runda
STYLE = '<link rel="stylesheet" href="/__avtal/live.css">'


def latest_round(sources: Path) -> str | None:
    """The round sent last (by its `sent` date); None when there is none or none loads."""
    sent = []
    for round_id in round_ids(sources):
        try:
            sent.append((load_round(sources, round_id).source.sent, round_id))
        except SourceError:
            continue
    return max(sent)[1] if sent else None


@dataclass
class Round:
    """One round's record as the views show it: who answered and every live comment with its answerer."""

    info: RoundInfo
    answers: tuple[Answer, ...]

    @classmethod
    def read(cls, sources: Path, round_id: str) -> "Round":
        info = load_round(sources, round_id)
        return cls(info, load_answers(sources, info))

    def who(self, answer: Answer) -> str:
        found = self.info.book.answerer(answer.party)
        return found.name if found else answer.party

    def comments(self) -> list[tuple[Answer, Comment]]:
        return [(a, c) for a in sorted(self.answers, key=lambda a: a.party) for c in live_comments(a)]


class _RoundBuilder(TreeBuilder):
    """A document's web tree with the round's comments on each clause after the clause's own text."""

    def __init__(self, corpus: Corpus, doc: Document, round: Round) -> None:
        super().__init__(corpus, doc, "html", statute_texts=True)
        self.round = round
        self.by_clause: dict[str, list[tuple[Answer, Comment]]] = {}
        for answer, comment in round.comments():
            if comment.clause:
                self.by_clause.setdefault(comment.clause, []).append((answer, comment))

    def own(self, clause: Clause) -> list[ast.Node]:
        out = super().own(clause)
        found = self.by_clause.get(clause.id)
        if found:
            out.append(ast.raw_block("html", _aside(f"Synpunkter på {clause.label} {clause.title}", found, self.round)))
        return out


def _aside(label: str, comments: list[tuple[Answer, Comment]], round: Round, beside: bool = True) -> str:
    """The comments as a labelled list; `beside` a clause's text (on a wide screen, in a column to its right)."""
    items = []
    for answer, comment in comments:
        stance = STANCE_LABEL.get(comment.stance, STANCE_LABEL[None])
        proposal = (f'<p class="proposal"><span class="lead">Förslag:</span> {escape(comment.proposal)}</p>'
                    if comment.proposal else "")
        text = "".join(f"<p>{escape(p)}</p>" for p in comment.text.split("\n\n") if p.strip())
        items.append(f'<li id="synpunkt:{escape(comment.id)}"><p class="who"><strong>{escape(round.who(answer))}'
                     f'</strong> · {escape(stance)} · {escape(wording.comment_label(comment.id))}</p>'
                     f"{text}{proposal}</li>")
    return (f'<aside class="remiss-comments{" beside" if beside else ""}" aria-label="{escape(label)}">'
            f'<p class="count">{_count(len(comments))}</p>'
            f'<ul>{"".join(items)}</ul></aside>')


def _count(n: int) -> str:
    return f"{n} synpunkt" if n == 1 else f"{n} synpunkter"


def round_page(corpus: Corpus, doc: Document, round: Round) -> str:
    """A document as published, with the round's comments beside each clause's text."""
    builder = _RoundBuilder(corpus, doc, round)
    title = f"{doc.source.title}: synpunkter i {wording.round_name(round.info.source)}"
    whole = [(a, c) for a, c in round.comments() if c.document == doc.id and not c.clause]
    intro = _intro(round) + (_aside("Synpunkter på hela dokumentet", whole, round) if whole else "")
    html = render_page(corpus, doc, builder, title=title)
    return html.replace('<dl class="meta">', intro + '<dl class="meta">', 1)


def _intro(round: Round) -> str:
    source = round.info.source
    return (f'{STYLE}<p class="remiss-intro">{escape(wording.round_name(source))}, sista svarsdag '
            f'{escape(source.deadline.isoformat())}: <a href="index.html?{ROUND_VIEW}">vilka som har svarat</a>. '
            "Synpunkterna gäller den remitterade versionen; texten är den nuvarande.</p>")


def status_page(corpus: Corpus, round: Round) -> str:
    """Who has answered the round, and links to each document with its comments."""
    report = status_of(round.info, round.answers)
    rows = "".join(
        f"<tr><th scope=\"row\">{escape(r.name)}</th><td>{escape(STATE_LABEL[r.state])}"
        f"{escape(f' (via {r.joint_via})') if r.joint_via else ''}</td><td>{escape(r.received or '–')}</td>"
        f"<td>{r.comments}</td></tr>"
        for r in [*report.recipients, *report.others])
    home = {c.id: d.id for d in corpus.documents for c in d.clauses()}
    comments = round.comments()
    on = {d.id: sum(1 for _, c in comments if home.get(c.clause) == d.id or (c.document == d.id and not c.clause))
          for d in corpus.documents}
    per_doc = "".join(f'<li><a href="{escape(d.id)}.html?{ROUND_VIEW}">{escape(d.source.short_title)}</a>: '
                      f"{_count(on[d.id])}</li>" for d in corpus.documents)
    general = [(a, c) for a, c in comments if not c.clause and not c.document]
    gone = [(a, c) for a, c in comments if c.clause and c.clause not in home]
    table = ('<div class="table-scroll" role="region" tabindex="0" aria-labelledby="svar"><table>'
             '<caption id="svar">Svar per remissinstans</caption><thead><tr><th scope="col">Remissinstans</th>'
             '<th scope="col">Status</th><th scope="col">Inkom</th><th scope="col">Synpunkter</th></tr></thead>'
             f"<tbody>{rows}</tbody></table></div>")
    main = (f"{STYLE}<h1>{escape(wording.round_name(round.info.source))}: svar</h1>"
            f"<p>Sista svarsdag {escape(report.deadline)}. {len(report.recipients) - len(report.reminders)} av "
            f"{len(report.recipients)} parter har svarat (eget eller gemensamt svar).</p>"
            f"<h2>Remissinstanser</h2>{table}"
            f'<h2>Synpunkter per dokument</h2><ul class="doc-list">{per_doc}</ul>'
            + (f"<h2>Allmänna synpunkter</h2>{_aside('Allmänna synpunkter', general, round, beside=False)}"
               if general else "")
            + (f"<h2>Synpunkter på avsnitt som inte finns i texten nu</h2>"
               f"{_aside('Synpunkter på avsnitt som inte finns i texten nu', gone, round, beside=False)}"
               if gone else ""))
    toc = "<ol>" + "".join(f'<li><a href="{escape(d.id)}.html?{ROUND_VIEW}">{escape(d.source.short_title)}</a></li>'
                           for d in corpus.documents) + "</ol>"
    return page(corpus.package.title, title=f"{round.info.source.title}: svar", main=main, toc=toc)


def problem_json(problem: Problem, root: Path) -> dict:
    """A problem as the overlay shows it, with a link that opens the file at the place in VS Code."""
    path = Path(problem.location.file)
    absolute = (path if path.is_absolute() else root / path).resolve()
    line, column = problem.location.line or 1, problem.location.column or 1
    return {"file": problem.location.file, "line": line, "column": column, "where": problem.where,
            "message": problem.message, "href": f"vscode://file{quote(absolute.as_posix())}:{line}:{column}"}
