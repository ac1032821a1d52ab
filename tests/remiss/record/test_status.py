"""`avtal remiss status`: every recipient's state from the imported answers, as a table, CSV and JSON.

The test imports hand-written answers for a handful of parties and derives
every expected row and count from those inputs and from sources/parter.yaml
(read with PyYAML), never from the status code's output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from avtal.cli import main
from avtal.remiss.incoming.importer import import_files
from avtal.remiss.record.status import round_status

from ..records import ROUND, ROUND_DIR, copy_sources, manual, parties, round_info

ON_TIME, LATE = dt.date(2025, 5, 2), dt.date(2025, 5, 20)
JOINT_DAY = dt.date(2025, 5, 8)
GROUP_MEMBERS = ("bengtsfors", "dals-ed", "tanum")  # Fyrbodal answers for these three …
# … and Tanum also answers itself, so it keeps its own state.

# answerer -> (received, comments, extra ManualAnswer keys); the expected state follows from these alone.
ANSWERS = {
    "vgr": (ON_TIME, [{"clause": "inledning.syfte", "stance": "invänder", "text": "Barnperspektivet saknas."},
                      {"text": "Regionen ställer sig i övrigt bakom förslaget."}], {}),
    "boras": (LATE, [{"clause": "inledning.bakgrund", "stance": "synpunkt", "text": "Beskriv bakgrunden."}], {}),
    "lerum": (ON_TIME, [{"clause": "inledning.syfte", "stance": "ingen erinran"},
                        {"clause": "inledning.bakgrund", "stance": "ingen erinran"}], {}),
    "ale": (ON_TIME, [], {"declined": True}),
    "tanum": (dt.date(2025, 5, 6), [{"text": "Tanum har egna synpunkter."}], {}),
    "fyrbodal": (JOINT_DAY, [{"text": "Gemensamt svar."}, {"clause": "inledning.syfte", "stance": "instämmer"},
                             {"clause": "inledning.bakgrund", "stance": "synpunkt", "text": "Förtydliga."}],
                 {"on_behalf_of": GROUP_MEMBERS}),
    # a remissinstans that is not a party (a brukarorganisation of HSL 16 kap. 3 §)
    "rsmh-vg": (LATE, [{"clause": "inledning.syfte", "stance": "synpunkt", "text": "Brukarnas perspektiv saknas."}],
                {}),
}
NOT_PARTIES = ("fyrbodal", "rsmh-vg")  # the answerers above that are not among the 50 parties


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("status")
    sources = copy_sources(root / "sources")
    for answerer, (received, comments, extra) in ANSWERS.items():
        path = manual(root / "in", f"{answerer}.yaml", party=answerer, comments=comments, **extra)
        import_files(sources, ROUND, [path], party=None, on_behalf_of=(), received=received)
    return sources


def expected_rows(sources: Path) -> dict[str, dict]:
    """What each recipient's row must say, from the inputs above and parter.yaml."""
    deadline = round_info(sources)["deadline"]
    rows = {}
    for pid, party in parties(sources).items():
        row = {"party": pid, "name": party["name"], "kommunalforbund": party.get("kommunalforbund"),
               "email": party["email"], "email_placeholder": party["email_placeholder"],
               "joint_via": None, "also_via": [], "received": None, "late": False, "comments": 0, "state": "none"}
        if pid in ANSWERS:
            received, comments, extra = ANSWERS[pid]
            if extra.get("declined"):
                state = "declined"
            elif all(c.get("stance") == "ingen erinran" for c in comments):
                state = "no-comments"
            else:
                state = "late" if received > deadline else "answered"
            row.update(state=state, received=received.isoformat(), late=received > deadline,
                       comments=len(comments), also_via=["fyrbodal"] if pid in GROUP_MEMBERS else [])
        elif pid in GROUP_MEMBERS:
            received, comments, _ = ANSWERS["fyrbodal"]
            row.update(state="joint", joint_via="fyrbodal", received=received.isoformat(),
                       late=received > deadline, comments=len(comments))
        rows[pid] = row
    return rows


def test_json_has_one_object_per_recipient_with_state_date_joint_and_comments(imported):
    data = json.loads(round_status(imported, ROUND).render("json"))
    expected = expected_rows(imported)
    assert [r["party"] for r in data["recipients"]] == list(expected)  # all 50, in parter.yaml's order
    assert len(data["recipients"]) == 50
    for row in data["recipients"]:
        assert row == expected[row["party"]], row["party"]
    assert data["reminders"] == [pid for pid, row in expected.items() if row["state"] == "none"]
    assert data["deadline"] == round_info(imported)["deadline"].isoformat()
    (joint,) = data["joint_answers"]
    assert joint["party"] == "fyrbodal" and joint["on_behalf_of"] == list(GROUP_MEMBERS)
    assert joint["received"] == JOINT_DAY.isoformat() and joint["comments"] == len(ANSWERS["fyrbodal"][1])


def test_counts_per_kommunalforbund_and_vgr_count_each_party_once(imported):
    data = json.loads(round_status(imported, ROUND).render("json"))
    expected = expected_rows(imported)
    groups = {g["id"]: g for g in data["groups"]}
    members: dict[str, list[str]] = {}
    for pid, row in expected.items():
        members.setdefault(row["kommunalforbund"] or "vgr", []).append(row["state"])
    assert set(groups) == set(members)
    for gid, states in members.items():
        g = groups[gid]
        assert (g["parties"], g["answered"], g["late"], g["joint"], g["no_comments"], g["none"]) == (
            len(states), states.count("answered"), states.count("late"), states.count("joint"),
            states.count("no-comments") + states.count("declined"), states.count("none")), gid
    assert groups["fyrbodal"]["joint"] == 2 and groups["fyrbodal"]["parties"] == 14  # domain.md: 14 members


def test_csv_has_the_same_rows(imported):
    rows = list(csv.DictReader(io.StringIO(round_status(imported, ROUND).render("csv"))))
    expected = expected_rows(imported)
    assert [r["party"] for r in rows] == list(expected)
    for row in rows:
        want = expected[row["party"]]
        assert row["state"] == want["state"]
        assert row["received"] == (want["received"] or "")
        assert row["late"] == ("true" if want["late"] else "false")
        assert row["joint_via"] == (want["joint_via"] or "")
        assert row["comments"] == str(want["comments"])
        assert row["email"] == want["email"]


def test_the_table_shows_states_counts_and_a_reminder_list_with_addresses(imported):
    table = round_status(imported, ROUND).render("table")
    expected = expected_rows(imported)
    lines = table.splitlines()
    shown = {"answered": "answered", "late": "answered late", "declined": "declined", "none": "no answer",
             "no-comments": "no comments (ingen erinran)", "joint": "joint answer via fyrbodal"}
    for pid, row in expected.items():
        line = next(line for line in lines if line.startswith(row["name"] + "  "))
        assert shown[row["state"]] in line, line
        if row["received"]:
            assert row["received"] in line
    assert "(also via fyrbodal)" in next(line for line in lines if line.startswith("Tanums kommun"))
    reminders = lines[next(i for i, line in enumerate(lines) if line.startswith("Reminders")) + 1:]
    missing = [row for row in expected.values() if row["state"] == "none"]
    assert len(reminders) == len(missing)
    for row, line in zip(missing, reminders):
        assert row["name"] in line and row["email"] in line
        assert ("(placeholder address)" in line) == row["email_placeholder"]
    answered = sum(1 for row in expected.values() if row["state"] != "none")
    assert f"{answered} of 50 answered" in lines[0]


def test_status_reads_only_the_answer_records(imported, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(imported, sources)
    shutil.rmtree(sources / ROUND_DIR / "inkommet")  # no party file is needed
    assert round_status(sources, ROUND).render("json") == round_status(imported, ROUND).render("json")


def test_the_command_prints_each_format(imported, capsys):
    assert main(["--sources", str(imported), "remiss", "status", ROUND, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out == round_status(imported, ROUND).render("csv")
    assert main(["--sources", str(imported), "remiss", "status", ROUND]) == 0
    assert "Reminders:" in capsys.readouterr().out


def test_remissinstanser_that_are_not_parties_are_counted_apart_from_the_50(imported):
    data = json.loads(round_status(imported, ROUND).render("json"))
    book = yaml.safe_load((imported / "parter.yaml").read_text(encoding="utf-8"))
    asked = round_info(imported)["other_recipients"]
    order = [x["id"] for x in (*book["kommunalforbund"], *book["organisations"]) if x["id"] in asked]
    assert [r["party"] for r in data["others"]] == order and set(NOT_PARTIES) <= set(order)
    assert len(data["recipients"]) == 50 and not set(order) & {r["party"] for r in data["recipients"]}
    assert sum(g["parties"] for g in data["groups"]) == 50  # the counts per kommunalförbund hold the parties only
    deadline = round_info(imported)["deadline"]
    others = {r["party"]: r for r in data["others"]}
    for pid in order:
        row = others[pid]
        if pid in NOT_PARTIES:
            received, comments, _ = ANSWERS[pid]
            assert row["state"] == ("late" if received > deadline else "answered"), pid
            assert (row["received"], row["comments"]) == (received.isoformat(), len(comments))
        else:
            assert row["state"] == "none" and row["received"] is None, pid
    assert data["other_reminders"] == [pid for pid in order if pid not in NOT_PARTIES]
    assert data["reminders"] == [r["party"] for r in data["recipients"] if r["state"] == "none"]
    table = round_status(imported, ROUND).render("table")
    assert f"Other remissinstanser (not parties, not counted above): {len(NOT_PARTIES)} of {len(order)} answered" \
        in table
    answered_parties = sum(1 for r in data["recipients"] if r["state"] != "none")
    assert table.splitlines()[0].count(f"{answered_parties} of 50 answered") == 1
