"""The report's one tree: the group's assessment and the figures of the round, then every comment."""

from __future__ import annotations

from collections import Counter
from typing import Callable

from ...model import Clause, Document
from ...model.remiss import STANCES, Answer
from ...redline.diff import CHANGED, DELETED, MOVED, NEW
from ...render import ast, wording
from ..record.answers import FLAG_LETTER
from . import charts
from .collect import (CHANGE_WORD, Entry, GROUP_COLUMNS, NOT_NEEDED, NOT_NEEDED_TEXT, OPEN_TEXT, Report, STANCE_LABEL, STATE_LABEL, STATUS_LABEL,
                      TALLY)
from .pieces import (OTHER_KIND, Planned, _decision, _figure, _flag_text, _names, _p, _received, _short, _t, _table,
                     text_blocks)
from .trace import NO_CLAUSES, PARTLY_UNCHANGED, TAKEN, UNCHANGED, UNCOVERED, UNKNOWN_CLAUSE, Finding


class Builder:
    """Builds the report's one pandoc tree (format-neutral; charts and links resolved by `_lower`)."""

    def __init__(self, report: Report):
        self.r = report
        self.planned: list[Planned] = []
        self.charts: dict[str, charts.Chart] = {}
        self.toc: list[tuple[int, str, str]] = []

    def heading(self, level: int, text: str, ident: str, inlines: list[ast.Node] | None = None) -> ast.Node:
        if level <= 2:
            self.toc.append((level, ident, text))
        return ast.header(level, inlines or _t(text), ast.attr(ident, ["unnumbered"]))

    def blocks(self) -> list[ast.Node]:
        """The whole report: the summary (which plans the charts), then the comments."""
        return self.summary() + self.comments()

    def comments(self) -> list[ast.Node]:
        """Document by document, clause by clause; general comments; with --against the trace."""
        out: list[ast.Node] = []
        for doc_id in self.document_order():
            out.extend(self.document(self.r.corpus.document(doc_id)))
        out.extend(self.general())
        if self.r.against is not None:
            out.extend(self.trace())
        return out

    def document_order(self) -> list[str]:
        docs = [d.id for d in self.r.corpus.documents]
        return [d for d in self.r.info.documents if d in docs] + [d for d in docs if d not in self.r.info.documents]

    # -- summary --

    def summary(self) -> list[ast.Node]:
        """The group's assessment, the summaries per question and theme, then the figures of the round."""
        return [*self.assessment(), *self.questions(), *self.themes(), *self.figures()]

    def figures(self) -> list[ast.Node]:
        r, src = self.r, self.r.info.source
        n = r.state_count
        total = len(r.status.recipients)
        others = r.status.others
        answered = total - n("none") - n("declined")
        counts = r.status_counts()
        sent_to = f"de {total} parterna" + (f" och till {len(r.info.others)} övriga remissinstanser"
                                            if r.info.others else "")
        covered_too = sum(1 for x in r.status.recipients if x.also_via)
        out = [self.heading(1, "Sammanfattning", "rs-sammanfattning"),
               _p(f"Remissen skickades den {wording.long_date(src.sent)} till {sent_to} med sista "
                  f"svarsdag den {wording.long_date(src.deadline)}. {answered} av {total} parter har svarat: "
                  f"{n('answered')} i tid, {n('late')} efter sista svarsdag, {n('joint')} genom ett gemensamt svar "
                  f"och {n('no-comments')} utan synpunkter (ingen erinran). {n('declined')} har avstått och "
                  f"{n('none')} har inte svarat."
                  + (f" Ytterligare {covered_too} {'part' if covered_too == 1 else 'parter'} som omfattas av ett "
                     "gemensamt svar har också svarat själv och räknas efter sitt eget svar." if covered_too else "")),
               _p(f"Svaren innehåller {wording.amount(len(r.entries), 'synpunkt', 'synpunkter')}. Arbetsgruppen har "
                  f"tagit ställning till {len(r.entries) - counts[None] - counts[NOT_NEEDED]} av dem; "
                  f"{counts[None]} {'är öppen' if counts[None] == 1 else 'är öppna'}"
                  + (f" och {counts[NOT_NEEDED]} instämmer utan att säga något mer och behöver inget "
                     "ställningstagande." if counts[NOT_NEEDED] else "."))]
        letters = [e for e in r.entries if FLAG_LETTER in e.comment.flags]
        if letters:
            out.append(_p(f"{len(letters)} brev är ännu inte uppdelade i enskilda synpunkter ("
                          f"{', '.join(wording.comment_label(e.comment.id) for e in letters)}); de visas som de "
                          "kom in."))
        for state, lead in (("late", "Svarade efter sista svarsdag"), ("no-comments", "Ingen erinran"),
                            ("declined", "Avstod från att svara"), ("none", "Har inte svarat")):
            names = [x.name for x in r.status.recipients if x.state == state]
            if names:
                out.append(_p(f"{lead}: {_names(names)}."))
        for j in r.status.joint_answers:
            out.append(_p(self.joint_sentence(j.party)))
        if others:
            replied = [x for x in others if x.state != "none"]
            out.append(_p(f"Av de {len(others)} remissinstanser som inte är parter har {len(replied)} svarat"
                          + (f": {_names([x.name for x in replied])}" if replied else "") + ". De räknas inte in "
                          "bland parternas svar ovan."
                          + (f" Har inte svarat: {_names([x.name for x in others if x.state == 'none'])}."
                             if len(replied) < len(others) else "")))
        out.extend(self.by_group())
        out.extend(self.by_status())
        out.extend(self.by_stance())
        out.extend(self.top())
        out.extend(self.recipient_table())
        out.extend(self.others_table())
        return out

    def joint_sentence(self, answerer: str) -> str:
        """'Gemensamt svar från X för A, B och C (3 kommuner; B har också svarat själv).' — every party it names."""
        records = self.r.records or {}
        answer = records[answerer]
        covered = [self.answerer_name(p) for p in answer.on_behalf_of]
        also = [self.answerer_name(p) for p in answer.on_behalf_of if p in records]  # answered themselves too
        note = f"; {_names(also)} har också svarat själv" if also else ""
        return (f"Gemensamt svar från {self.answerer_name(answerer)} för {_names(covered)} "
                f"({self.covered_count(answer)}{note}).")

    def covered_count(self, answer: Answer) -> str:
        """'6 kommuner' (or 'parter' when the region is among them): the parties a joint answer names."""
        kinds = {getattr(self.r.info.book.answerer(p), "kind", "kommun") for p in answer.on_behalf_of}
        n = len(answer.on_behalf_of)
        word = ("kommun" if n == 1 else "kommuner") if kinds <= {"kommun"} else ("part" if n == 1 else "parter")
        return f"{n} {word}"

    # -- the working group's own text (bedomning.yaml) --

    def assessment(self) -> list[ast.Node]:
        a = self.r.assessment
        out = [self.heading(1, "Arbetsgruppens bedömning", "rs-bedomning")]
        if a is None:
            return out + [_p("Arbetsgruppen har ännu inte skrivit sin samlade bedömning av remissvaren.")]
        out += text_blocks(a.assessment)
        out.append(self.heading(2, "Förslag till beslut", "rs-forslag-till-beslut"))
        out += text_blocks(a.recommendation)
        return out

    def questions(self) -> list[ast.Node]:
        """One section per question of the missiv: the group's summary and the comments it names."""
        asked = self.r.info.source.letter.questions
        if not asked:
            return []
        summaries = {q.question: q for q in (self.r.assessment.questions if self.r.assessment else ())}
        out = [self.heading(1, "Sammanfattning per remissfråga", "rs-fragor"),
               _p(f"Missivet ställde {len(asked)} frågor till remissinstanserna. Under varje fråga följer "
                  "arbetsgruppens sammanfattning av svaren och de synpunkter som sammanfattningen bygger på.")]
        by_id = {e.comment.id: e for e in self.r.entries}
        for number, question in enumerate(asked, 1):
            out.append(self.heading(2, f"Fråga {number}: {question}", f"rs-fraga-{number}"))
            q = summaries.get(number)
            if q is None:
                out.append(_p("Arbetsgruppen har ännu inte sammanfattat svaren på frågan."))
                continue
            entries = [by_id[c] for c in q.comments if c in by_id]
            if entries:
                out.append(_p(self.tally(entries) + "."))
            out += text_blocks(q.summary)
            if entries:
                out.append(self.comment_links(entries))
        return out

    def themes(self) -> list[ast.Node]:
        """One section per theme of bedomning.yaml, with the counts of the comments on its clauses."""
        a = self.r.assessment
        if a is None or not a.themes:
            return []
        out = [self.heading(1, "Sammanfattning per tema", "rs-teman")]
        rows = []
        for i, theme in enumerate(a.themes, 1):
            entries = self.theme_entries(theme)
            out.append(self.heading(2, theme.title, f"rs-tema-{i}"))
            out.append(_p((self.tally(entries) if entries else "Inga synpunkter") + "."))
            out += text_blocks(theme.summary)
            if theme.clauses:
                links: list[ast.Node] = [*_t("Avsnitt:"), {"t": "Space"}]
                for j, cid in enumerate(theme.clauses):
                    clause = self.r.corpus.clause(cid)
                    if j:
                        links += [*_t(";"), {"t": "Space"}]
                    links.append(ast.link(_t(self.clause_label(clause)), f"#{cid}"))
                out.append(ast.para(links))
            statuses = [e.status for e in entries]
            rows.append([theme.title, len(entries), len({e.answer.party for e in entries}),
                         sum(1 for e in entries if e.comment.stance == "invänder"),
                         sum(1 for st in statuses if st in TAKEN), sum(1 for st in statuses if st is None)])
        out.append(_table("Synpunkter per tema. Beaktade: beaktade eller delvis beaktade.",
                          ["Tema", "Synpunkter", "Svarande", "Invänder", "Beaktade", "Öppna"], rows))
        return out

    def theme_entries(self, theme) -> list[Entry]:
        """The comments on the theme's clauses (or on clauses below them), and the comments it names."""
        within: set[str] = set()
        for cid in theme.clauses:
            within |= {c.id for c in self.r.corpus.clause(cid).walk()}
        named = set(theme.comments)
        return [e for e in self.r.entries if (e.clause is not None and e.clause.id in within)
                or e.comment.id in named]

    def tally(self, entries: list[Entry]) -> str:
        """'12 synpunkter från 10 remissinstanser: 3 instämmer, 8 invänder, 1 synpunkt'."""
        stances = Counter(e.comment.stance for e in entries)
        parts = [f"{stances[s]} {TALLY[s]}" for s in (*STANCES, None) if stances[s]]
        who = len({e.answer.party for e in entries})
        return (f"{wording.amount(len(entries), 'synpunkt', 'synpunkter')} från "
                f"{wording.amount(who, 'remissinstans', 'remissinstanser')}: {', '.join(parts)}")

    def comment_links(self, entries: list[Entry]) -> ast.Node:
        """'Synpunkter: boras-3 (Borås Stad), …', each linked to the comment."""
        out: list[ast.Node] = [*_t("Synpunkter:"), {"t": "Space"}]
        for i, e in enumerate(entries):
            if i:
                out += [*_t(","), {"t": "Space"}]
            out.append(ast.link(_t(e.comment.id), f"#synpunkt-{e.comment.id}"))
            out += [{"t": "Space"}, *_t(f"({e.answerer})")]
        return ast.para(out)

    def answerer_name(self, ident: str) -> str:
        who = self.r.info.book.answerer(ident)
        return who.name if who else ident

    def by_group(self) -> list[ast.Node]:
        """Per kommunalförbund (and the region), the counts of `avtal remiss status`."""
        groups = self.r.status.groups
        series = [(label, [getattr(g, key) for g in groups]) for key, label in GROUP_COLUMNS]
        alt = "Liggande stapeldiagram över svaren per kommunalförbund. " + " ".join(
            f"{g.name}: {wording.amount(g.parties, 'remissinstans', 'remissinstanser')}, varav " + ", ".join(
                f"{label.lower()} {getattr(g, key)}" for key, label in GROUP_COLUMNS) + "." for g in groups)
        chart = self.chart(charts.stacked_bars, "svar", "Svar per kommunalförbund", alt, [g.name for g in groups],
                           series)
        rows = [[g.name, g.parties, *[getattr(g, key) for key, _ in GROUP_COLUMNS]] for g in groups]
        rows.append(["Totalt", sum(g.parties for g in groups),
                     *[sum(getattr(g, key) for g in groups) for key, _ in GROUP_COLUMNS]])
        return [self.heading(2, "Svar per kommunalförbund", "rs-svar"), _figure(chart),
                _table("Svar per kommunalförbund (samma uppgifter som diagrammet). Sent: svarat efter sista "
                       "svarsdag. Gemensamt: omfattas av ett gemensamt svar.",
                       ["Förbund", "Instanser", *[label for _, label in GROUP_COLUMNS]], rows)]

    def by_status(self) -> list[ast.Node]:
        counts = self.r.status_counts()
        labels = [STATUS_LABEL[s] for s in counts]
        alt = ("Stapeldiagram över arbetsgruppens ställningstaganden till synpunkterna: "
               + ", ".join(f"{label.lower()} {n}" for label, n in zip(labels, counts.values())) + ".")
        chart = self.chart(charts.bars, "stallningstaganden", "Arbetsgruppens ställningstaganden", alt, labels,
                           list(counts.values()))
        rows = [[label, n] for label, n in zip(labels, counts.values())] + [["Totalt", len(self.r.entries)]]
        return [self.heading(2, "Arbetsgruppens ställningstaganden", "rs-stallningstaganden"),
                _p("Öppen betyder att arbetsgruppen ännu inte har tagit ställning till synpunkten."), _figure(chart),
                _table("Ställningstaganden (samma uppgifter som diagrammet)", ["Ställningstagande", "Synpunkter"],
                       rows)]

    def by_stance(self) -> list[ast.Node]:
        counts = self.r.stance_counts()
        labels = [STANCE_LABEL[s] for s in counts]
        alt = ("Stapeldiagram över parternas inställning i synpunkterna: "
               + ", ".join(f"{label.lower()} {n}" for label, n in zip(labels, counts.values())) + ".")
        chart = self.chart(charts.bars, "installning", "Parternas inställning", alt, labels, list(counts.values()))
        rows = [[label, n] for label, n in zip(labels, counts.values())] + [["Totalt", len(self.r.entries)]]
        return [self.heading(2, "Parternas inställning", "rs-installning"), _figure(chart),
                _table("Parternas inställning (samma uppgifter som diagrammet)", ["Inställning", "Synpunkter"], rows)]

    def top(self) -> list[ast.Node]:
        top = self.r.most_discussed()
        out = [self.heading(2, "Mest kommenterade avsnitt", "rs-mest-kommenterade")]
        if not top:
            return out + [_p("Inga synpunkter på enskilda avsnitt.")]
        labels = [self.clause_label(c) for c, _ in top]
        alt = (f"Liggande stapeldiagram över de {len(top)} avsnitt som fått flest synpunkter: "
               + "; ".join(f"{label}: {len(es)}" for label, (_, es) in zip(labels, top)) + ".")
        chart = self.chart(charts.bars, "mest-kommenterade", "Mest kommenterade avsnitt", alt,
                           [_short(label, 48) for label in labels], [len(es) for _, es in top], horizontal=True)
        rows = []
        for clause, es in top:
            link = [ast.link(_t(clause.label), f"#{clause.id}")]
            rows.append([link, clause.title, self.r.corpus.document(clause.doc).source.short_title, len(es),
                         len({e.answer.party for e in es}),
                         sum(1 for e in es if e.comment.stance == "invänder")])
        return out + [_figure(chart), _table("Mest kommenterade avsnitt (samma uppgifter som diagrammet)",
                                             ["Avsnitt", "Rubrik", "Dokument", "Synpunkter", "Svarande", "Invänder"],
                                             rows)]

    def recipient_table(self) -> list[ast.Node]:
        names = self.r.status.group_names
        rows = []
        for x in self.r.status.recipients:
            # The kommunalförbund's short name: five columns of whole words must fit the A4 text width.
            state = STATE_LABEL[x.state] + (f" ({names.get(x.joint_via, self.answerer_name(x.joint_via))})"
                                            if x.joint_via else "")
            if x.late and x.state != "late":
                state += ", efter sista svarsdag"
            decided = self.r.decided_by(x.joint_via or (x.party if x.state != "none" else None))
            rows.append([x.name, names.get(x.kommunalforbund or "", "–"), _received(state, x.received),
                         _decision(decided) if x.state != "none" else "–"])
        return [self.heading(2, "Parterna och deras svar", "rs-remissinstanser"),
                _table("Parterna och deras svar. Beslut: det organ som beslutade svaret (vid gemensamt svar "
                       "kommunalförbundets organ).", ["Part", "Kommunalförbund", "Svar", "Beslut"], rows)]

    def others_table(self) -> list[ast.Node]:
        """The remissinstanser that are not parties, apart from the parties' table."""
        others = self.r.status.others
        if not others:
            return []
        rows = []
        for x in others:
            who = self.r.info.book.answerer(x.party)
            kind = OTHER_KIND.get(getattr(who, "kind", None), "Kommunalförbund")
            state = STATE_LABEL[x.state] + (", utan att ha fått remissen" if x.party in self.r.status.unasked else "")
            rows.append([x.name, kind, _received(state, x.received),
                         _decision(self.r.decided_by(x.party)) if x.state != "none" else "–"])
        return [self.heading(2, "Övriga remissinstanser och deras svar", "rs-ovriga-remissinstanser"),
                _p("Remissinstanser som inte är parter i avtalet. Deras svar redovisas under avsnitten som övriga "
                   "svar men räknas inte in bland parternas svar."),
                _table("Övriga remissinstanser och deras svar", ["Remissinstans", "Slag", "Svar", "Beslut"],
                       rows)]

    def chart(self, draw: Callable[..., charts.Chart], name: str, caption: str, alt: str, *args, **kw) -> Planned:
        """A chart to draw later (`draw_charts`): the tree needs only its name, caption and alt text."""
        planned = Planned(name, caption, alt, lambda: draw(name, caption, alt, *args, **kw))
        self.planned.append(planned)
        return planned

    def draw_charts(self) -> None:
        """Draw every planned chart (matplotlib: about a second, so the web page's pandoc run goes first)."""
        for planned in self.planned:
            self.charts[planned.name] = planned.draw()

    def clause_label(self, clause: Clause) -> str:
        return f"{clause.label} {clause.title} ({self.r.corpus.document(clause.doc).source.short_title})"

    # -- comments --

    def document(self, doc: Document) -> list[ast.Node]:
        entries = [e for e in self.r.entries if e.document is not None and e.document.id == doc.id]
        out = [self.heading(1, doc.title, f"rs-dokument-{doc.id}")]
        if not entries:
            return out + [_p("Inga synpunkter på detta dokument.")]
        clauses = {e.clause.id for e in entries if e.clause}
        out.append(_p(f"{wording.amount(len(entries), 'synpunkt', 'synpunkter')}, på {len(clauses)} avsnitt"
                      + (" och på dokumentet som helhet." if any(e.clause is None for e in entries) else ".")))
        whole = [e for e in entries if e.clause is None]
        if whole:
            out.append(self.heading(2, "Dokumentet som helhet", f"rs-helhet-{doc.id}"))
            for e in whole:
                out.append(self.comment(e))
        current: str | None = None
        first: dict[int, str] = {}  # position → the first comment under this clause that shows its motivering
        for e in entries:
            if e.clause is None:
                continue
            if e.clause.id != current:
                current, first = e.clause.id, {}
                number = ast.span(_t(e.clause.label), ast.attr(classes=["number"]))
                out.append(self.heading(2, f"{e.clause.label} {e.clause.title}", e.clause.id,
                                        [number, {"t": "Space"}, *_t(e.clause.title)]))
            key = id(e.position)
            out.append(self.comment(e, same_as=first.get(key) if e.position is not None else None))
            first.setdefault(key, e.comment.id)
        return out

    def general(self) -> list[ast.Node]:
        entries = [e for e in self.r.entries if e.document is None]
        out = [self.heading(1, "Allmänna synpunkter", "rs-allmanna")]
        if not entries:
            return out + [_p("Inga allmänna synpunkter.")]
        by_party: dict[str, list[Entry]] = {}
        for e in entries:
            by_party.setdefault(e.answer.party, []).append(e)
        for party, es in by_party.items():
            out.append(self.heading(2, es[0].answerer, f"rs-allmant-{party}"))
            decided = self.r.decided_by(party)
            if decided is not None:
                out.append(_p(f"Beslutat av {_decision(decided)}."))
            out.extend(self.comment(e, party=False) for e in es)
        return out

    def comment(self, e: Entry, *, party: bool = True, same_as: str | None = None) -> ast.Node:
        """One comment: a level-3 heading (who, stance, id), the text, proposal, flags and the group's position.

        `same_as`: an earlier comment under the same avsnitt with the same position; the motivering is
        written once per issue, so this one refers to it instead of repeating it.
        """
        c = e.comment
        lead = f"{e.answerer} – " if party else ""
        if party and e.joint_for:
            lead = f"{e.answerer} (gemensamt svar för {self.covered_count(e.answer)}) – "
        blocks = [self.heading(3, f"{lead}{STANCE_LABEL[c.stance]} ({wording.comment_label(c.id)})",
                               f"synpunkt-{c.id}")]
        if c.quote:
            blocks.append(ast.para([ast.emph(_t(f"Avser texten: ”{' '.join(c.quote.split())}”"))]))
        blocks.extend(text_blocks(c.text) if c.text.strip() else [_p("(Ingen text.)")])
        if c.proposal:
            blocks.append(ast.para([ast.strong(_t("Förslag till formulering:"))]))
            blocks.append(ast.div(text_blocks(c.proposal), ast.attr(classes=["proposal"])))
        for flag in c.flags:
            blocks.append(ast.para([ast.emph(_t(f"Obs: {_flag_text(flag)}."))]))
        if e.status == NOT_NEEDED:
            blocks.append(ast.para([ast.strong(_t("Arbetsgruppens ställningstagande:")), {"t": "Space"},
                                    *_t(NOT_NEEDED_TEXT)]))
        elif e.position is None:
            blocks.append(ast.para([ast.strong(_t("Arbetsgruppens ställningstagande:")), {"t": "Space"},
                                    ast.span(_t(OPEN_TEXT), ast.attr(classes=["open"]))]))
        elif same_as is not None:
            blocks.append(ast.para([ast.strong(_t("Arbetsgruppens ställningstagande:")), {"t": "Space"},
                                    *_t(f"{STATUS_LABEL[e.position.status]}, se motiveringen till"), {"t": "Space"},
                                    ast.link(_t(same_as), f"#synpunkt-{same_as}"), *_t(".")]))
        else:
            reason = " ".join(e.position.reason.split())
            blocks.append(ast.para([ast.strong(_t("Arbetsgruppens ställningstagande:")), {"t": "Space"},
                                    *_t(f"{STATUS_LABEL[e.position.status]}. {reason}")]))
        if e.changed is not None:
            taken = e.status in TAKEN
            if e.changed and not taken:
                # The clause changed, but not because of this comment: say whose positions changed it.
                why = (f"efter andra synpunkter ({', '.join(e.changed_by)}), inte efter denna" if e.changed_by
                       else "av andra skäl än denna synpunkt")
                text = f"Avsnittet har ändrats i {self.r.against_name} {why}"
                blocks.append(ast.para([ast.link(_t(text), e.redline)] if e.redline else _t(text)))
            elif e.changed and e.redline:
                blocks.append(ast.para([ast.link(_t(f"Ändrad i {self.r.against_name}"), e.redline)]))
            else:
                blocks.append(_p(f"Ändrad i {self.r.against_name}" if e.changed
                                 else f"Oförändrad i {self.r.against_name}"))
        return ast.div(blocks, ast.attr(classes=["comment"]))

    # -- traceability --

    def trace(self) -> list[ast.Node]:
        r, t = self.r, self.r.trace
        assert t is not None
        on_clauses = [e for e in r.entries if e.changed is not None]
        changed = [e for e in on_clauses if e.changed]
        out = [self.heading(1, f"Spårbarhet mot {r.against_name}", "rs-sparbarhet"),
               _p(f"{len(changed)} av {wording.amount(len(on_clauses), 'synpunkt', 'synpunkter')} på enskilda "
                  f"avsnitt gäller avsnitt som har "
                  "ändrats "
                  f"mellan {r.version_name} och {r.against_name}. {len(t.changed)} avsnitt har ändrats; ändringarna "
                  "visas i ändringsförteckningen och de markerade dokumenten.")]
        if not t.findings:
            return out + [_p("Inga avvikelser: varje beaktad eller delvis beaktad synpunkt gäller ett ändrat "
                             "avsnitt, "
                             "och varje ändrat avsnitt nämns i ett ställningstagande.")]
        out.append(_p(f"{len(t.findings)} iakttagelser att gå igenom (inte nödvändigtvis fel: alla ändringar "
                      "behöver inte komma från remissen):"))
        out.append(ast.bullet_list([[ast.plain(_t(self.finding(f)))] for f in t.findings]))
        return out

    def finding(self, f: Finding) -> str:
        """A trace finding in Swedish, from its kind and ids (the English message is for `avtal check`)."""
        t = self.r.trace
        assert t is not None
        who = ", ".join(wording.comment_label(c) for c in f.comments)
        status = next((e.status for e in self.r.entries if e.comment.id in f.comments and e.status), None)
        position = f"Ställningstagandet ”{status}” ({who})" if status else f"Ställningstagandet ({who})"
        if f.kind == NO_CLAUSES:
            return f"{position} anger inga avsnitt som beslutet har ändrat."
        if f.clause and f.clause.startswith(("begrepp:", "text:")):  # a glossary term or a document's general text
            kind, _, ident = f.clause.partition(":")
            what = f"begreppet {ident} i Termer och begrepp" if kind == "begrepp" else f"den allmänna texten i {ident}"
            if f.kind == UNCOVERED:
                return (f"{what[0].upper()}{what[1:]} har ändrats i {self.r.against_name}, men inget "
                        "ställningstagande anger det.")
            return f"{position} anger {what}, som inte har ändrats i {self.r.against_name}."
        if f.kind in (UNCHANGED, PARTLY_UNCHANGED) and f.clause:
            where = self.clause_name(f.clause)
            if f.kind == UNCHANGED:
                return f"{position} anger {where}, men inget av de angivna avsnitten har ändrats i {self.r.against_name}."
            return f"{position} anger bland annat {where}, som inte har ändrats i {self.r.against_name}."
        if f.kind == UNCOVERED and f.clause:
            c = next((c for c in t.changed if c.id == f.clause), None)
            if c is not None:
                what = " och ".join(CHANGE_WORD[k] for k in (NEW, DELETED, MOVED, CHANGED) if k in c.kinds)
                doc = self.r.corpus.document(c.document).source.short_title \
                    if c.document in {d.id for d in self.r.corpus.documents} else c.document
                return (f"Avsnitt {c.number_to or c.number_from} {c.title} ({doc}) är {what} i {self.r.against_name}, men "
                        "inget ställningstagande anger det.")
        if f.kind == UNKNOWN_CLAUSE and f.clause:
            return f"{position} anger avsnittet '{f.clause}', som inte finns i någon av versionerna."
        return f.message

    def clause_name(self, clause_id: str) -> str:
        try:
            clause = self.r.corpus.clause(clause_id)
        except KeyError:
            return f"avsnittet '{clause_id}'"
        return f"avsnitt {clause.label} {clause.title} ({self.r.corpus.document(clause.doc).source.short_title})"
