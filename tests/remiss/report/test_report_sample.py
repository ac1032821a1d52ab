"""The remissammanställning of the real sample round, as the working group sends it to SRO.

Built once from sources/ (remiss-2025 traced to forslag-2025-08). Every expected value is read
here from the YAML the group and the parties wrote (the round file, parter.yaml, svar/,
stallningstaganden.yaml, bedomning.yaml), never from the report code; the checks are about
the report saying one consistent thing across its sections.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest
import yaml

from avtal.model.problems import SourceError
from avtal.remiss.report.report import write_report

from ...conftest import SOURCES

ROUND = "remiss-2025"
AGAINST = "forslag-2025-08"
FOLDER = SOURCES / "remiss" / ROUND
TAKEN = ("beaktad", "delvis beaktad")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


ROUND_FILE = load(SOURCES / "remiss" / f"{ROUND}.yaml")
BOOK = load(SOURCES / "parter.yaml")
ANSWERS = {a["party"]: a for a in (load(p) for p in sorted((FOLDER / "svar").glob("*.yaml")))}
POSITIONS = load(FOLDER / "stallningstaganden.yaml")["positions"]
ASSESSMENT = load(FOLDER / "bedomning.yaml")
STATUS_OF = {cid: p["status"] for p in POSITIONS for cid in p["comments"]}
NAME = {x["id"]: x["name"] for x in (*BOOK["parties"], *BOOK["kommunalforbund"], *BOOK["organisations"])}
PARTY_IDS = {p["id"] for p in BOOK["parties"]}


def text_of(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    dist = tmp_path_factory.mktemp("sample-report")
    write_report(SOURCES, ROUND, dist, against=AGAINST)
    return (dist / "remiss" / ROUND / "remissammanstallning.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def blocks(page) -> dict[str, list[str]]:
    """Comment id → the text of each paragraph of its block."""
    out = {}
    for chunk in page.split('<div class="comment">')[1:]:
        match = re.match(r'\n<h4[^>]*id="synpunkt-([^"]+)"[^>]*>(.*?)</h4>(.*)', chunk, re.S)
        body = re.split(r"<h[1-3][ >]", match[3])[0]  # up to the next avsnitt or chapter
        out[match[1]] = [text_of(match[2])] + [text_of(p) for p in re.findall(r"<p>(.*?)</p>", body, re.S)]
    return out


def paragraphs(page: str) -> list[str]:
    return [text_of(p) for p in re.findall(r"<p>(.*?)</p>", page, re.S)]


def test_every_comment_of_the_round_has_a_block(blocks):
    live = {c["id"] for a in ANSWERS.values() for c in a.get("comments", ()) if not any(
        f.startswith(("borttagen i revision", "uppdelad i ")) for f in c.get("flags", ()))}  # withdrawn or split
    assert set(blocks) == live


def test_a_comment_the_group_did_not_take_into_account_is_never_shown_as_the_cause_of_a_change(blocks):
    """lerum-1 and skaraborg-2 were 'Noterad' yet 'Ändrad': their clause changed by another position."""
    for cid, lines in blocks.items():
        status = STATUS_OF.get(cid)
        bare = [line for line in lines if line.startswith("Ändrad i ")]
        other = [line for line in lines if line.startswith("Avsnittet har ändrats i ")]
        if status not in TAKEN:
            assert bare == [], (cid, status, bare)
        else:
            assert other == [], (cid, status, other)
    for cid in ("lerum-1", "skaraborg-2"):
        assert STATUS_OF[cid] == "noterad"
        (line,) = [line for line in blocks[cid] if line.startswith("Avsnittet har ändrats i ")]
        changers = re.search(r"efter andra synpunkter \(([^)]*)\)", line)[1].split(", ")
        assert changers and all(STATUS_OF[c] in TAKEN for c in changers)


def test_a_joint_answer_is_counted_the_same_in_the_summary_and_under_each_comment(page, blocks):
    said = paragraphs(page)
    joint = {pid: a for pid, a in ANSWERS.items() if a.get("on_behalf_of")}
    assert "skaraborg" in joint and "tibro" in ANSWERS  # Tibro is covered by Skaraborg and answered itself
    for pid, answer in joint.items():
        covered = answer["on_behalf_of"]
        (sentence,) = [p for p in said if p.startswith(f"Gemensamt svar från {NAME[pid]} för ")]
        for member in covered:
            assert NAME[member] in sentence, (pid, member)
        assert f"({len(covered)} kommuner" in sentence
        own = [m for m in covered if m in ANSWERS]
        for member in own:
            assert f"{NAME[member]} har också svarat själv" in sentence
        headings = [lines[0] for cid, lines in blocks.items() if cid.startswith(f"{pid}-")
                    and lines[0].startswith(NAME[pid] + " (")]
        assert headings and all(f"(gemensamt svar för {len(covered)} kommuner)" in h for h in headings), pid


def test_the_summary_counts_add_up_for_the_50_parties_and_the_others_apart(page):
    said = paragraphs(page)
    (lead,) = [p for p in said if p.startswith("Remissen skickades den")]
    m = re.search(r"(\d+) av (\d+) parter har svarat: (\d+) i tid, (\d+) efter sista svarsdag, (\d+) genom ett "
                  r"gemensamt svar och (\d+) utan synpunkter \(ingen erinran\)\. (\d+) har avstått och (\d+) har inte "
                  r"svarat\.", lead)
    answered, total, *parts = map(int, m.groups())
    on_time, late, joint, silent, declined, none = parts
    assert total == len(BOOK["parties"]) == 50
    assert on_time + late + joint + silent == answered and answered + declined + none == total
    others = ROUND_FILE["other_recipients"]
    assert f"till {len(others)} övriga remissinstanser" in lead
    (apart,) = [p for p in said if p.startswith("Av de ") and "som inte är parter" in p]
    replied = [o for o in others if o in ANSWERS]
    assert apart.startswith(f"Av de {len(others)} remissinstanser som inte är parter har {len(replied)} svarat")
    # the parties' own answers and the joint coverage, from the records
    own = [p for p in ANSWERS if p in PARTY_IDS]
    covered = {m for a in ANSWERS.values() for m in a.get("on_behalf_of", ())} - set(own)
    assert answered + declined == len(own) + len(covered)
    assert joint == len(covered)


def test_the_deciding_body_of_every_answer_is_shown(page):
    rows = [[text_of(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    by_name = {}
    for row in rows:
        if len(row) == 4:  # Part/Remissinstans, Kommunalförbund/Slag, Svar, Beslut
            by_name.setdefault(row[0], row)
    decided = {pid: a["decided_by"] for pid, a in ANSWERS.items() if a.get("decided_by")}
    assert len(decided) >= 20
    for pid, d in decided.items():
        row = by_name[NAME[pid]]
        assert d["body"] in row[3] and (d.get("paragraph") or "") in row[3], pid
    for pid, answer in ANSWERS.items():
        for member in answer.get("on_behalf_of", ()):
            if member not in ANSWERS and answer.get("decided_by"):
                assert answer["decided_by"]["body"] in by_name[NAME[member]][3]  # the joint answer's body


def test_the_group_s_assessment_recommendation_and_summaries_per_question_and_theme_come_first(page):
    said = paragraphs(page)
    headings = [text_of(h) for h in re.findall(r"<h[23][^>]*>(.*?)</h[23]>", page, re.S)]
    order = ["Arbetsgruppens bedömning", "Förslag till beslut", "Sammanfattning per remissfråga",
             "Sammanfattning per tema", "Sammanfattning"]
    assert [headings.index(h) for h in order] == sorted(headings.index(h) for h in order)
    first = " ".join(ASSESSMENT["assessment"].split("\n\n")[0].split())
    assert first in said
    questions = ROUND_FILE["letter"]["questions"]
    summaries = {q["question"]: q for q in ASSESSMENT["questions"]}
    assert sorted(summaries) == list(range(1, len(questions) + 1))
    for n, question in enumerate(questions, 1):
        assert f"Fråga {n}: {question}" in headings
        q = summaries[n]
        assert " ".join(q["summary"].split("\n\n")[0].split()) in said
        who = {c.rsplit("-", 1)[0] for c in q["comments"]}
        assert f"{len(q['comments'])} synpunkter från {len(who)} remissinstanser: " in page
    for theme in ASSESSMENT["themes"]:
        assert theme["title"] in headings
        assert " ".join(theme["summary"].split()) in said


def test_the_report_refuses_an_assessment_naming_an_unknown_comment(tmp_path):
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources, ignore=shutil.ignore_patterns("inkommet", "*.xlsx"))
    path = sources / "remiss" / ROUND / "bedomning.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("[fyrbodal-3,", "[fyrbodal-33,", 1), encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        write_report(sources, ROUND, tmp_path / "dist")
    (problem,) = [str(p) for p in caught.value.problems]
    line = next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "fyrbodal-33" in t)
    assert f"bedomning.yaml:{line}:" in problem and "unknown comment 'fyrbodal-33'" in problem
    assert not (tmp_path / "dist").exists()


def test_avtal_check_locates_a_summary_of_a_question_the_missiv_does_not_ask(tmp_path, capsys):
    import shutil

    from avtal.cli import main

    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources, ignore=shutil.ignore_patterns("inkommet", "*.xlsx"))
    path = sources / "remiss" / ROUND / "bedomning.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - question: 3\n", "  - question: 4\n", 1), encoding="utf-8")
    line = text.splitlines().index("  - question: 3") + 1
    assert main(["--sources", str(sources), "check"]) == 1
    err = capsys.readouterr().err
    assert f"bedomning.yaml:{line}:" in err and "question 4 does not exist" in err
    assert "no summary for question(s) 3" in err


def test_each_motivering_is_written_once_for_its_issue():
    """No reason copied word for word into two positions: one reasoning per issue, tailored where parties differ."""
    reasons = [" ".join(p["reason"].split()) for p in POSITIONS]
    copies = {r: n for r, n in ((r, reasons.count(r)) for r in reasons) if n > 1}
    assert copies == {}
    assert all(len(r) >= 40 for r in reasons), [r for r in reasons if len(r) < 40]  # a reason, not a stamp
    # a position speaking to the comments of several answerers on general matters is one the group tailored
    general = [p for p in POSITIONS if all(c in GENERAL for c in p["comments"]) and len(p["comments"]) > 1]
    assert all(len(p["comments"]) <= 8 for p in general), [p["comments"] for p in general]


GENERAL = {c["id"] for a in ANSWERS.values() for c in a.get("comments", ()) if not c.get("clause")}


def test_under_each_avsnitt_a_motivering_is_printed_once_and_referred_to(page, blocks):
    """Eight comments on betalningsansvar share one position: the reason stands once, the others point to it."""
    section = page[page.index('id="ut.betalningsansvar.tidpunkt"'):]
    section = section[:section.index("<h3", 10)]
    for position in POSITIONS:
        on_clause = [c for c in position["comments"] if f'id="synpunkt-{c}"' in section]
        if len(on_clause) < 2:
            continue
        reason = " ".join(position["reason"].split())
        assert text_of(section).count(reason) == 1, position["comments"]
        with_reason = [c for c in on_clause if any(reason in line for line in blocks[c])]
        assert len(with_reason) == 1
        for c in on_clause:
            if c not in with_reason:
                assert any(f"se motiveringen till {with_reason[0]}" in line for line in blocks[c]), c
