"""Check a sample-answer plan (samples/<round>/plan.yaml) against the sources.

The plan is the content of the sample remiss round: every party's answer (form,
returned Word draft, letter, manual, declined) and the working group's position
on every comment. Another tool turns it into real files and imports them, so
the plan must agree with the sources before anything is generated:

- every clause id exists in the frozen version the round sent;
- every anchor of a draft edit occurs exactly once, verbatim, in one paragraph,
  list item or table cell of that clause as a reader sees it;
- every party id exists in sources/parter.yaml, and a joint answer covers only
  members of its kommunalförbund;
- positions that took a comment into account list clauses that really changed
  between the round's version and the next proposal, and every such change is
  explained by a position backed by the party the change record names;
- the sample has the variety the remiss issues ask for (counts are printed).

Run from anywhere: `.venv/bin/python samples/check_plan.py [PLAN]`. Exits 1 and
lists every problem (plan file:line, what was wrong, what was expected).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
DEFAULT_PLAN = ROOT / "samples" / "remiss-2025" / "plan.yaml"
EXPECTED = ROOT / "tests" / "redline" / "data" / "forslag-2025-08.expected.yaml"
NEXT_VERSION = "forslag-2025-08"

STATUSES = ("beaktad", "delvis beaktad", "ej beaktad", "noterad")
TAKEN = ("beaktad", "delvis beaktad")
STANCES = ("instämmer", "invänder", "synpunkt", "ingen erinran")
FORMATS = ("form", "draft", "letter-docx", "letter-pdf", "manual", "declined")
EDITS = ("comment", "replace", "insert", "delete")
ANSWER_KEYS = {"party", "on_behalf_of", "format", "received", "decided_by", "cover", "contact", "file",
               "comments", "drafts", "letter"}
COMMENT_KEYS = {"clause", "stance", "text", "proposal", "point", "edit", "anchor", "context", "new"}
DRAFT_KEYS = {"document", "reviewer", "file", "comments"}
POINT_KEYS = {"id", "status", "reason", "clauses"}

# What the remiss issues ask of the sample round.
MIN_ANSWERED, MIN_JOINT, MIN_LATE, MIN_DRAFTS, MIN_LETTERS, MIN_LETTER_PDF = 42, 1, 3, 3, 2, 1
MIN_NO_COMMENTS, MIN_DECLINED, MIN_MANUAL = 5, 1, 1
EDITS_PER_DRAFT = (3, 8)
COMMENTS_TOTAL = (150, 250)


class LineDict(dict):
    """A mapping that remembers the plan line it started on."""

    line = 0


class Loader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (YAML itself keeps the last silently)."""


def _mapping(loader: Loader, node: yaml.MappingNode) -> LineDict:
    out = LineDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class Report:
    def __init__(self, plan: Path):
        self.shown = plan.relative_to(ROOT) if plan.is_relative_to(ROOT) else plan
        self.errors: list[str] = []

    def error(self, where, message: str) -> None:
        line = getattr(where, "line", 0) if where is not None else 0
        self.errors.append(f"{self.shown}:{line}: error: {message}")


def named_parties(reason: str, book) -> set[str]:
    """Party/kommunalförbund ids named before the first ':' of a change reason ('Följdändring' names none)."""
    head = reason.split(":", 1)[0]
    if head.strip().lower().startswith("följdändring"):
        return set()
    head = re.sub(r"\([^)]*\)", "", head).lower()
    found: set[str] = set()
    for party in book.parties:
        if party.name.lower() in head:
            found.add(party.id)
    for group in book.groups:
        plain = re.sub(r"\([^)]*\)", "", group.name).strip().lower()
        if plain in head or re.search(rf"\b{re.escape(group.short_name.lower())}", head):
            found.add(group.id)
    return found


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from avtal.model.problems import Problems
    from avtal.model.remiss import load_parties
    from avtal.model.text import block_inlines
    from avtal.model.versions import load_version
    from avtal.redline.diff import RENUMBERED, compare
    from avtal.render.wording import plain

    plan_path = Path(argv[0]).resolve() if argv else DEFAULT_PLAN
    report = Report(plan_path)
    try:
        plan = yaml.load(plan_path.read_text(encoding="utf-8"), Loader=Loader)
    except (OSError, yaml.YAMLError) as exc:
        print(f"{report.shown}: error: cannot read the plan: {exc}")
        return 1
    problems = Problems()
    book = load_parties(SOURCES, problems)
    if book is None:
        print("\n".join(str(p) for p in problems.items))
        return 1
    round_id = plan.get("round")
    round_src = yaml.safe_load((SOURCES / "remiss" / f"{round_id}.yaml").read_text(encoding="utf-8")) \
        if (SOURCES / "remiss" / f"{round_id}.yaml").exists() else None
    if round_src is None:
        print(f"{report.shown}:{plan.line}: error: unknown round '{round_id}': expected a file sources/remiss/<round>.yaml")
        return 1
    deadline: dt.date = round_src["deadline"]
    sent: dt.date = round_src["sent"]
    old, _ = load_version(SOURCES, round_src["version"])
    new, _ = load_version(SOURCES, NEXT_VERSION)

    # Clauses as a reader sees them, and the tree around each (for "which clause did a comment cause").
    runs: dict[str, list[str]] = {}
    doc_of: dict[str, str] = {}
    parent: dict[str, str | None] = {}
    for corpus in (new, old):  # old last: its parents win for clauses present in both
        for doc in corpus.documents:
            def visit(clause, up):
                parent[clause.id] = up
                for child in clause.children:
                    visit(child, clause.id)
            for section in doc.sections:
                visit(section, None)
    for doc in old.documents:
        for clause in doc.clauses():
            doc_of[clause.id] = doc.id
            texts = [plain(old, clause.doc, inl) for inl in block_inlines(clause.body)]
            if clause.table:
                texts += list(clause.table.header)
                texts += [plain(old, clause.doc, cell) for row in clause.table.rows for cell in row]
            runs[clause.id] = texts

    changes = compare(old, new, round_src["version"], NEXT_VERSION)
    changed = {c.id: c for d in changes.documents for c in d.changes if c.kinds - {RENUMBERED}}
    expected = yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))
    expected_reason = {e["id"]: e["reason"] for e in expected["changes"]}
    if set(expected_reason) != set(changed):
        report.error(None, f"the change record {EXPECTED.relative_to(ROOT)} and the computed change set differ: "
                     f"only recorded {sorted(set(expected_reason) - set(changed))}, only computed "
                     f"{sorted(set(changed) - set(expected_reason))}")
    consequential = {cid for cid, reason in expected_reason.items() if reason.lower().startswith("följdändring")}
    named = {cid: named_parties(reason, book) for cid, reason in expected_reason.items()}

    # -- points --
    points: dict[str, dict] = {}
    for i, point in enumerate(plan.get("points") or []):
        for key in set(point) - POINT_KEYS:
            report.error(point, f"point {point.get('id', i)}: unknown key '{key}' (expected {sorted(POINT_KEYS)})")
        pid = point.get("id")
        if not pid or not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", str(pid)):
            report.error(point, f"point #{i + 1}: id '{pid}' is missing or malformed: expected lowercase a-z, 0-9, '-'")
            continue
        if pid in points:
            report.error(point, f"duplicate point id '{pid}' (first at line {points[pid].line}): ids must be unique")
            continue
        points[pid] = point
    for point in points.values():
        _check_position(report, point, f"point {point['id']}", changed)

    # -- answers --
    parties = {p.id: p for p in book.parties}
    groups = {g.id: g for g in book.groups}
    comment_total = 0
    own: dict[str, dict] = {}
    joint: dict[str, str] = {}
    declined: set[str] = set()
    fmt_count: Counter[str] = Counter()
    late: list[str] = []
    draft_files: list[tuple[str, str, int]] = []
    edit_kinds: Counter[str] = Counter()
    no_comment_answers: list[str] = []
    used_points: Counter[str] = Counter()
    # per position (point id or inline "party#n"): the comments it answers, as (party, clause, comment)
    members_of: dict[str, list[tuple[str, str | None, dict]]] = defaultdict(list)
    inline_positions: dict[str, dict] = {}
    stances: Counter[str] = Counter()
    for a_index, answer in enumerate(plan.get("answers") or []):
        who = answer.get("party")
        label = f"answer {who or '#' + str(a_index + 1)}"
        for key in set(answer) - ANSWER_KEYS:
            report.error(answer, f"{label}: unknown key '{key}' (expected one of {sorted(ANSWER_KEYS)})")
        if who not in parties and who not in groups:
            report.error(answer, f"{label}: unknown party '{who}': expected a party or kommunalförbund id from "
                         "sources/parter.yaml")
            continue
        if who in own:
            report.error(answer, f"{label}: a second answer from '{who}' (first at line {own[who].line}): one answer "
                         "per party; put a re-submission's changes into the first")
            continue
        own[who] = answer
        fmt = answer.get("format")
        if fmt not in FORMATS:
            report.error(answer, f"{label}: format '{fmt}' is not one of {', '.join(FORMATS)}")
            continue
        fmt_count[fmt] += 1
        behalf = list(answer.get("on_behalf_of") or [])
        if behalf and who not in groups:
            report.error(answer, f"{label}: on_behalf_of is only for a kommunalförbund's joint answer; '{who}' is a party")
        for member in behalf:
            if member not in parties or parties[member].kommunalforbund != who:
                report.error(answer, f"{label}: on_behalf_of '{member}' is not a member of {who}: expected one of "
                             f"{', '.join(p.id for p in book.members(who)) if who in groups else 'its members'}")
            elif member in joint:
                report.error(answer, f"{label}: '{member}' is already covered by the joint answer of {joint[member]}")
            else:
                joint[member] = who
        if who in groups and not behalf:
            report.error(answer, f"{label}: a kommunalförbund answer must name the members it covers in on_behalf_of")
        received = answer.get("received")
        if not isinstance(received, dt.date):
            report.error(answer, f"{label}: received '{received}' is not a date: expected YYYY-MM-DD")
            received = deadline
        elif received < sent:
            report.error(answer, f"{label}: received {received} is before the remiss was sent ({sent})")
        if received > deadline:
            late.append(who)
        decided = answer.get("decided_by")
        if fmt != "declined" or decided is not None:
            if not isinstance(decided, dict) or not decided.get("body"):
                report.error(answer, f"{label}: decided_by {{body, date, paragraph}} is missing")
            else:
                date = decided.get("date")
                if not isinstance(date, dt.date) or date > received or date < sent:
                    report.error(decided, f"{label}: decided_by.date '{date}' must be a date between the remiss "
                                 f"({sent}) and the day the answer was received ({received})")
                if not re.fullmatch(r"§ \d+", str(decided.get("paragraph", ""))):
                    report.error(decided, f"{label}: decided_by.paragraph '{decided.get('paragraph')}' should read "
                                 "like '§ 112'")
        if fmt in ("letter-docx", "letter-pdf"):
            letter = answer.get("letter") or ""
            if len(letter.split()) < 80 or not re.search(r"beslut", letter, re.I):
                report.error(answer, f"{label}: a letter answer needs the full letter text (salutation, the "
                             "board's decision in several points, signature) under 'letter'")
        elif answer.get("letter"):
            report.error(answer, f"{label}: 'letter' is only for the letter-docx and letter-pdf formats")

        comment_lists: list[tuple[dict, str | None]] = []
        if fmt == "draft":
            if answer.get("comments"):
                report.error(answer, f"{label}: a draft answer keeps its comments under drafts[].comments (one "
                             "list per returned document)")
            drafts = answer.get("drafts") or []
            if not drafts:
                report.error(answer, f"{label}: format draft needs 'drafts': [{{document, reviewer, comments}}]")
            seen_docs: set[str] = set()
            for draft in drafts:
                for key in set(draft) - DRAFT_KEYS:
                    report.error(draft, f"{label}: unknown draft key '{key}' (expected {sorted(DRAFT_KEYS)})")
                doc = draft.get("document")
                if doc not in {d.id for d in old.documents}:
                    report.error(draft, f"{label}: draft document '{doc}' is not in {round_src['version']}: expected "
                                 f"one of {', '.join(d.id for d in old.documents)}")
                if doc in seen_docs:
                    report.error(draft, f"{label}: two drafts of '{doc}': one file per document")
                seen_docs.add(doc)
                if not draft.get("reviewer"):
                    report.error(draft, f"{label}: draft of {doc} needs 'reviewer' (the Word user name on its edits)")
                items = draft.get("comments") or []
                kinds = {c.get("edit") for c in items}
                if not EDITS_PER_DRAFT[0] <= len(items) <= EDITS_PER_DRAFT[1]:
                    report.error(draft, f"{label}: draft of {doc} has {len(items)} edits: expected "
                                 f"{EDITS_PER_DRAFT[0]}–{EDITS_PER_DRAFT[1]}")
                if len(kinds) < 2:
                    report.error(draft, f"{label}: draft of {doc} uses only {kinds}: mix Word comments and tracked "
                                 "changes")
                draft_files.append((who, doc, len(items)))
                comment_lists.append((draft, doc))
        else:
            if answer.get("drafts"):
                report.error(answer, f"{label}: 'drafts' is only for format draft")
            comment_lists.append((answer, None))
        if fmt == "declined":
            declined.add(who)
            if answer.get("comments"):
                report.error(answer, f"{label}: a declined answer (avstår) has no comments")
            if not re.search(r"avstår", str(answer.get("cover", "")), re.I):
                report.error(answer, f"{label}: a declined answer should say in 'cover' that the party avstår")

        answer_comments = [c for holder, _ in comment_lists for c in (holder.get("comments") or [])]
        if fmt != "declined" and not answer_comments:
            report.error(answer, f"{label}: no comments: an answer without synpunkter says so in one comment "
                         "with stance 'ingen erinran'")
        general = [c for c in answer_comments if c.get("clause") is None]
        if fmt == "draft" and general:
            report.error(answer, f"{label}: every edit in a returned draft sits in a clause; put covering text "
                         "in 'cover'")
        elif len(general) > 1:
            report.error(general[1], f"{label}: {len(general)} general comments (without clause): an answer has one "
                         "general comment (the form's field for allmänna synpunkter)")
        if answer_comments and all(c.get("stance") == "ingen erinran" for c in answer_comments):
            no_comment_answers.append(who)
        keys: dict[tuple, int] = {}
        for holder, doc in comment_lists:
            for comment in holder.get("comments") or []:
                key = (doc, comment.get("clause"), comment.get("edit"), comment.get("anchor") or comment.get("text"))
                if key in keys:
                    report.error(comment, f"{label}: two comments on {comment.get('clause') or 'the whole answer'} "
                                 f"with the same anchor/text (first at line {keys[key]}): the importer could not "
                                 "tell them apart")
                keys[key] = getattr(comment, "line", 0)
        n = 0
        for holder, doc in comment_lists:
            for comment in holder.get("comments") or []:
                n += 1
                comment_total += 1
                where = f"{label} comment {n}"
                for key in set(comment) - COMMENT_KEYS:
                    report.error(comment, f"{where}: unknown key '{key}' (expected {sorted(COMMENT_KEYS)})")
                clause = comment.get("clause")
                if clause is not None and clause not in runs:
                    report.error(comment, f"{where}: clause '{clause}' does not exist in {round_src['version']}")
                    clause = None
                stance = comment.get("stance")
                stances[stance] += 1
                if stance not in STANCES:
                    report.error(comment, f"{where}: stance '{stance}' is not one of {', '.join(STANCES)}")
                edit = comment.get("edit")
                for key in ("text", "proposal", "anchor", "new", "context"):
                    value = str(comment.get(key) or "").strip()
                    if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
                        report.error(comment, f"{where}: {key} is wrapped in quote marks inside a block scalar: "
                                     "the quotes would become part of the text")
                if doc is None:
                    if edit or comment.get("anchor") or comment.get("new"):
                        report.error(comment, f"{where}: edit/anchor/new belong to returned drafts only")
                    if not str(comment.get("text") or "").strip():
                        report.error(comment, f"{where}: text is empty")
                else:
                    _check_edit(report, comment, where, clause, doc, doc_of, runs)
                    if edit:
                        edit_kinds[edit] += 1
                point = comment.get("point")
                if isinstance(point, str):
                    if point not in points:
                        report.error(comment, f"{where}: unknown point '{point}': expected an id under 'points'")
                        continue
                    used_points[point] += 1
                    members_of[point].append((who, clause, comment))
                elif isinstance(point, dict):
                    key = f"{who}#{n}"
                    _check_position(report, point, f"{where} (inline position)", changed)
                    inline_positions[key] = point
                    members_of[key].append((who, clause, comment))
                else:
                    report.error(comment, f"{where}: no position: give 'point: <id>' or an inline "
                                 "{status, reason, clauses}")

    for pid, point in points.items():
        if not used_points[pid]:
            report.error(point, f"point {pid} answers no comment: remove it or refer to it from a comment")

    # -- who answered --
    answered = ({p for p in own if p in parties and p not in declined}) | set(joint)
    no_answer = list(plan.get("no_answer") or [])
    for pid in no_answer:
        if pid not in parties:
            report.error(plan, f"no_answer: unknown party '{pid}'")
        elif pid in answered or pid in declined:
            report.error(plan, f"no_answer: '{pid}' has an answer in the plan")
    missing = set(parties) - answered - declined - set(no_answer)
    if missing:
        report.error(plan, f"parties neither answering, declining nor listed in no_answer: {sorted(missing)}")
    both = sorted(p for p in own if p in joint)

    # -- traceability: positions that took comments into account vs the clauses that changed --
    every_position = {**{pid: points[pid] for pid in points}, **inline_positions}
    covering: dict[str, list[str]] = defaultdict(list)
    for key, position in every_position.items():
        if position.get("status") not in TAKEN:
            continue
        commented = [clause for _, clause, _ in members_of[key]]
        for cid in position.get("clauses") or []:
            covering[cid].append(key)
            if cid in consequential:
                continue
            if not any(_related(c, cid, parent) for c in commented if c):
                report.error(position, f"position {key}: lists {cid}, but none of its comments is on that clause "
                             f"or next to it (commented: {sorted({c for c in commented if c})}): a position lists "
                             "only the clauses its decision changed")
    for cid in changed:
        backers = [k for k in covering.get(cid, []) if members_of[k]]
        if not backers:
            report.error(plan, f"{cid} changed in {NEXT_VERSION} ({expected_reason.get(cid, '?')[:60]}…) but no "
                         "'beaktad'/'delvis beaktad' position lists it")
            continue
        for party in sorted(named.get(cid, set())):
            if not any(who == party for k in backers for who, _, _ in members_of[k]):
                report.error(plan, f"{cid}: the change record names {party} as the reason, but no comment of "
                             f"{party} has a position that lists {cid}")
    not_taken_on_changed = []
    for key, items in members_of.items():
        status = every_position[key].get("status")
        if status in TAKEN:
            continue
        for who, clause, comment in items:
            if clause in changed:
                # A party named as the reason has (checked above) another comment behind the change.
                not_taken_on_changed.append(f"{who} on {clause} ({status}; the change is explained by "
                                            f"{', '.join(covering[clause])})")

    # -- variety the issues ask for --
    letters = fmt_count["letter-docx"] + fmt_count["letter-pdf"]
    checks = [
        (len(answered) >= MIN_ANSWERED, f"answered parties {len(answered)} (own or joint), expected ≥ {MIN_ANSWERED}"),
        (len([a for a in own.values() if a.get("on_behalf_of")]) >= MIN_JOINT, "at least one joint answer"),
        (len(late) >= MIN_LATE, f"late answers {len(late)}, expected ≥ {MIN_LATE}"),
        (len({w for w, _, _ in draft_files}) >= MIN_DRAFTS, f"returned drafts from {len({w for w, _, _ in draft_files})} "
         f"parties, expected ≥ {MIN_DRAFTS}"),
        (set(EDITS) <= set(edit_kinds), f"draft edits use {sorted(edit_kinds)}, expected all of {EDITS}"),
        (letters >= MIN_LETTERS and fmt_count["letter-pdf"] >= MIN_LETTER_PDF,
         f"letters {letters} ({fmt_count['letter-pdf']} pdf), expected ≥ {MIN_LETTERS} with ≥ {MIN_LETTER_PDF} pdf"),
        (len(no_comment_answers) >= MIN_NO_COMMENTS, f"'inga synpunkter' answers {len(no_comment_answers)}, expected "
         f"≥ {MIN_NO_COMMENTS}"),
        (len(declined) >= MIN_DECLINED, f"declined {len(declined)}, expected ≥ {MIN_DECLINED}"),
        (fmt_count["manual"] >= MIN_MANUAL, f"manual {fmt_count['manual']}, expected ≥ {MIN_MANUAL}"),
        (fmt_count["form"] * 2 > sum(fmt_count.values()), f"forms {fmt_count['form']} of {sum(fmt_count.values())}: "
         "most answers should be forms"),
        (COMMENTS_TOTAL[0] <= comment_total <= COMMENTS_TOTAL[1],
         f"comments {comment_total}, expected {COMMENTS_TOTAL[0]}–{COMMENTS_TOTAL[1]}"),
    ]
    for ok, message in checks:
        if not ok:
            report.error(plan, f"requirement not met: {message}")

    if report.errors:
        print("\n".join(report.errors))
        print(f"{len(report.errors)} problem(s)")
        return 1
    status_count: Counter[str] = Counter()
    for key, items in members_of.items():
        status_count[every_position[key]["status"]] += len(items)
    print(f"plan {report.shown}: OK")
    print(f"  answers: {len(own)} files from {len(own)} senders; parties answered {len(answered)}/50 "
          f"(own {len([p for p in own if p in parties and p not in declined])}, via joint answer {len(joint)}), "
          f"declined {len(declined)}, no answer {len(no_answer)}")
    print(f"  joint answers: " + ", ".join(f"{g} for {len([m for m in joint if joint[m] == g])}"
                                           for g in sorted(set(joint.values()))))
    if both:
        print(f"  own answer besides the joint one: {', '.join(both)}")
    print(f"  formats: " + ", ".join(f"{k} {v}" for k, v in sorted(fmt_count.items())))
    print(f"  late (after {deadline}): {len(late)}: {', '.join(late)}")
    print(f"  drafts: {len(draft_files)} files: " + ", ".join(f"{w}/{d} {n}" for w, d, n in draft_files)
          + f"; edits: " + ", ".join(f"{k} {v}" for k, v in sorted(edit_kinds.items())))
    print(f"  'inga synpunkter' answers: {len(no_comment_answers)}: {', '.join(no_comment_answers)}")
    print(f"  comments: {comment_total}; stances: " + ", ".join(f"{k} {v}" for k, v in sorted(stances.items())))
    print(f"  positions: {len(points)} shared points, {len(inline_positions)} inline; comments by status: "
          + ", ".join(f"{s} {status_count[s]}" for s in STATUSES))
    print(f"  changed clauses in {NEXT_VERSION}: {len(changed)}, each backed by a position "
          f"({len(consequential)} consequential: {', '.join(sorted(consequential))})")
    if not_taken_on_changed:
        print("  not taken up, on a clause that changed for another reason:")
        for line in not_taken_on_changed:
            print(f"    {line}")
    return 0


def _check_position(report: Report, position: dict, where: str, changed: dict) -> None:
    status = position.get("status")
    if status not in STATUSES:
        report.error(position, f"{where}: status '{status}' is not one of {', '.join(STATUSES)}")
    if not str(position.get("reason") or "").strip():
        report.error(position, f"{where}: reason (the group's motivering) is empty")
    clauses = position.get("clauses") or []
    if status in TAKEN and not clauses:
        report.error(position, f"{where}: status '{status}' needs the clause ids the decision changed")
    if status not in TAKEN and clauses:
        report.error(position, f"{where}: status '{status}' changed nothing: clauses must be empty")
    for cid in clauses:
        if cid not in changed:
            report.error(position, f"{where}: clause '{cid}' did not change between the round's version and "
                         f"{NEXT_VERSION}: list only clauses the decision really changed")


def _check_edit(report: Report, comment: dict, where: str, clause: str | None, doc: str, doc_of: dict,
                runs: dict) -> None:
    edit = comment.get("edit")
    if edit not in EDITS:
        report.error(comment, f"{where}: edit '{edit}' is not one of {', '.join(EDITS)} (a draft's comments are "
                     "Word comments or tracked changes)")
        return
    if clause is None:
        report.error(comment, f"{where}: a draft edit needs the clause it sits in")
        return
    if doc_of[clause] != doc:
        report.error(comment, f"{where}: clause {clause} is in {doc_of[clause]}, not in this draft of {doc}")
    anchor = comment.get("anchor")
    if not anchor:
        report.error(comment, f"{where}: edit '{edit}' needs 'anchor' (exact text of the clause)")
        return
    context = comment.get("context")
    if context is not None and context.count(anchor) != 1:
        report.error(comment, f"{where}: context '{context}' must contain the anchor '{anchor}' exactly once")
    located = context if context is not None else anchor
    hits = sum(run.count(located) for run in runs[clause])
    if hits != 1:
        near = "not found" if hits == 0 else f"found {hits} times"
        what = "context" if context is not None else "anchor"
        report.error(comment, f"{where}: {what} '{located}' {near} in {clause}: expected exactly one verbatim "
                     "occurrence within one paragraph, list item or table cell (give a longer 'context' that "
                     "contains the anchor once to pick one of several)")
    if edit in ("replace", "insert") and not comment.get("new"):
        report.error(comment, f"{where}: edit '{edit}' needs 'new' (the text typed in)")
    if edit in ("comment", "delete") and comment.get("new"):
        report.error(comment, f"{where}: edit '{edit}' takes no 'new'")
    if edit == "comment" and not str(comment.get("text") or "").strip():
        report.error(comment, f"{where}: a Word comment needs its text")


def _related(commented: str, cid: str, parent: dict) -> bool:
    """The comment's clause is the changed clause, its parent, child or sibling."""
    if commented == cid or parent.get(cid) == commented or parent.get(commented) == cid:
        return True
    up = parent.get(cid)
    return up is not None and up == parent.get(commented)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
