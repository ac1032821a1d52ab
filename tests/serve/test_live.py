"""`avtal serve` with a real Chromium page open: edits update the page, errors show over it, the round beside it.

Each test edits the temporary copy of the sources the way an editor saves and asks the page itself
(tests/validators/live.mjs) when it shows the result.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
import yaml

from ..clients import LivePage
from .conftest import edit, written_since

HUVUDAVTAL = Path("sources/documents/huvudavtal.yaml")
CLAUSE_TEXT = "Regionen och kommunerna har sedan"  # the start of inledning.bakgrund's text
# A live preview must feel immediate; the target (150 ms from the save to the painted page, as
# medians on a quiet 2-core machine) is measured by bench/serve.py. Here, on a machine that may be busy with
# the rest of the suite and other work (at a load average of 17 on two cores the median was 2.1 s), the page
# must update on its own, without a reload, in a bounded time.
PROMPTLY_MS = 5000


def main_has(text: str) -> str:
    return f"document.querySelector('main').textContent.includes({text!r})"


OVERLAY_OPEN = "document.querySelector('dialog.avtal-problems[open]') !== null"


@pytest.mark.client
def test_an_edited_clause_appears_on_the_open_page_without_a_reload(served):
    served.documents_written()  # the first build's background work is over: measure edits alone
    path = served.folder / HUVUDAVTAL
    with LivePage(f"{served.url}/web/huvudavtal.html") as page:
        page.eval("window.notReloaded = true; document.getElementById('inledning.syfte').scrollIntoView(); 0")
        scrolled = page.eval("window.scrollY")
        assert scrolled > 0
        delays = []
        for n in range(3):
            word = f"Redigerat{n}x"
            page.start_waiting(main_has(word))
            saved = time.time() * 1000
            edit(path, CLAUSE_TEXT, f"Regionen och kommunerna {word} har sedan")
            seen = page.waited()
            assert seen is not None, f"edit {n} never reached the page"
            delays.append(seen["painted"] - saved)
            page.start_waiting(f"!{main_has(word)}")
            reverted = time.time_ns()
            path.write_text(path.read_text(encoding="utf-8").replace(f" {word}", ""), encoding="utf-8")
            assert page.waited() is not None, f"undoing edit {n} never reached the page"
            written_since(served.folder / "dist/.avtal-build.json", reverted)  # the background saves it when done
        assert statistics.median(delays) <= PROMPTLY_MS, delays
        assert page.eval("window.notReloaded") is True  # the text was swapped in
        assert page.eval("window.scrollY") == scrolled  # where the reader was
    assert "Redigerat" not in (served.folder / "dist/web/huvudavtal.html").read_text(encoding="utf-8")


@pytest.mark.client
def test_a_yaml_error_shows_an_accessible_overlay_and_fixing_it_restores_the_page(served):
    path = served.folder / HUVUDAVTAL
    good = path.read_text(encoding="utf-8")
    broken = good.replace("title: Bakgrund\n", "title: Bakgrund: ny\n", 1)
    at = broken.index("Bakgrund: ny") + len("Bakgrund")  # the second ':' is where YAML fails
    line, column = broken.count("\n", 0, at) + 1, at - broken.rfind("\n", 0, at)
    with LivePage(f"{served.url}/web/huvudavtal.html") as page:
        page.start_waiting(OVERLAY_OPEN)
        path.write_text(broken, encoding="utf-8")
        assert page.waited() is not None, "no overlay"
        links = page.eval("[...document.querySelectorAll('dialog.avtal-problems a')]"
                          ".map(a => [a.textContent, a.getAttribute('href')])")
        assert links == [[f"sources/documents/huvudavtal.yaml:{line}:{column}",
                          f"vscode://file{path.resolve().as_posix()}:{line}:{column}"]]
        assert "YAML syntax error" in page.eval("document.querySelector('dialog.avtal-problems').textContent")
        assert page.eval("document.querySelector('dialog.avtal-problems').getAttribute('role')") == "alertdialog"
        assert page.eval("document.activeElement.closest('dialog') !== null")  # the keyboard is in the dialog
        assert page.axe() == []
        page.press("Escape")
        assert page.eval(OVERLAY_OPEN) is False  # dismissed from the keyboard
        page.start_waiting(f"!document.querySelector('dialog.avtal-problems') && {main_has('Rättad')}")
        path.write_text(good.replace(CLAUSE_TEXT, "Regionen och kommunerna Rättad har sedan", 1), encoding="utf-8")
        assert page.waited() is not None, "the fix did not restore the page"


@pytest.mark.client
def test_a_reference_error_names_its_clause_and_a_second_error_updates_the_overlay(served):
    path = served.folder / HUVUDAVTAL
    good = path.read_text(encoding="utf-8")
    with LivePage(f"{served.url}/web/huvudavtal.html") as page:
        page.start_waiting(OVERLAY_OPEN)
        edit(path, CLAUSE_TEXT, "Regionen och {ref:finns.inte} har sedan")
        assert page.waited() is not None
        text = page.eval("document.querySelector('dialog.avtal-problems').textContent")
        assert "[inledning.bakgrund]" in text and "{ref:finns.inte}" in text
        other = served.folder / "sources/documents/munhalsa.yaml"
        other_good = other.read_text(encoding="utf-8")
        page.start_waiting("document.querySelectorAll('dialog.avtal-problems li').length === 2")
        edit(other, "\ntitle: ", "\ntitle: Munhälsa: ")  # a second error, in another file
        assert page.waited() is not None, "the overlay did not show the second error"
        assert "sources/documents/munhalsa.yaml:" in page.eval(
            "document.querySelector('dialog.avtal-problems li:last-child a').textContent")
        page.start_waiting("document.querySelectorAll('dialog.avtal-problems li').length === 1")
        other.write_text(other_good, encoding="utf-8")
        assert page.waited() is not None, "the overlay still shows a fixed error"
        page.start_waiting(f"!document.querySelector('dialog.avtal-problems') && {main_has('Åter')}")
        path.write_text(good.replace(CLAUSE_TEXT, "Regionen och kommunerna Åter har sedan", 1), encoding="utf-8")
        assert page.waited() is not None


def answered(folder: Path) -> list[dict]:
    """The round's comments as its record holds them, read here with PyYAML (not the code under test)."""
    found = []
    for answer in sorted((folder / "sources/remiss/remiss-2025/svar").glob("*.yaml")):
        data = yaml.safe_load(answer.read_text(encoding="utf-8"))
        found.extend({"party": data["party"], **c} for c in data.get("comments") or ())
    return found


@pytest.mark.client
def test_the_round_view_shows_each_clause_comments_beside_it_and_who_answered(served):
    comments = answered(served.folder)
    clauses = yaml.safe_load((served.folder / HUVUDAVTAL).read_text(encoding="utf-8"))

    def ids(items):
        for item in items or ():
            yield item["id"]
            yield from ids(item.get("clauses"))

    mine = [c for c in comments if c.get("clause") in set(ids(clauses["sections"]))]
    assert mine, "the sample round has comments on the huvudavtal"
    first = mine[0]
    with LivePage(f"{served.url}/web/huvudavtal.html?runda") as page:
        # The comment is in the aside that follows its clause's heading, before the next heading.
        shown = page.eval(f"""(() => {{
            const heading = document.getElementById({first["clause"]!r});
            for (let n = heading.nextElementSibling; n && !/^H[1-6]$/.test(n.tagName); n = n.nextElementSibling)
                if (n.matches('aside.remiss-comments')) return n.textContent;
            return null; }})()""")
        assert shown is not None and " ".join(first["text"].split())[:60] in " ".join(shown.split())
        assert page.axe() == []
    parties = yaml.safe_load((served.folder / "sources/parter.yaml").read_text(encoding="utf-8"))["parties"]
    names = {p["id"]: p["name"] for p in parties}
    silent = sorted(set(names) - {c["party"] for c in comments}
                    - {p.stem for p in (served.folder / "sources/remiss/remiss-2025/svar").glob("*.yaml")})
    with LivePage(f"{served.url}/web/index.html?runda") as page:
        rows = page.eval("Object.fromEntries([...document.querySelectorAll('tbody tr')]"
                         ".map(r => [r.cells[0].textContent, r.cells[1].textContent]))")
        assert rows[names[first["party"]]].startswith("Svarat") or rows[names[first["party"]]] == "Gemensamt svar"
        if silent:
            assert any(rows.get(names[p]) == "Inget svar" for p in silent) or all(
                rows.get(names[p], "").startswith("Gemensamt") for p in silent)
        assert page.axe() == []
