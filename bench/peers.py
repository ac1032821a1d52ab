"""Our figures against fair peers (issue 16), each pair timed in alternating runs; medians and their ratio.

Every figure is a whole process, as a user waits for it (interpreter start-up included), run as:
  cold build   `avtal build` into an empty dist/, no kept load (.build-cache/corpus; see `uncached`):
               5 documents x Word + PDF + web
               peer: LibreOffice converting our five .docx to PDF in ONE soffice process (how a user
               converts a folder), with a private, already initialised user profile
  5 PDFs       load + our five PDFs, model -> typst -> PDF (what `avtal build` does for the PDFs), no kept load
               peer: typst alone compiling the five typst sources, two at a time (the floor on two cores)
  redline      the huvudavtal's Word redline, FROM and TO versions -> one .docx with tracked changes
               (bench/_redline_word.py); peer: python-redlines (Docxodus) comparing the two versions'
               .docx files, in its own process. At 1x and 8x the huvudavtal's size. Both versions were loaded
               before (as after `avtal build` or `freeze`), so their kept load is read back (model/snapshot.py);
               the row "… no cache" clears the kept loads before each run.
  edit         `avtal build` after one huvudavtal clause changed (the largest document)
               peer: typst alone compiling the huvudavtal's typst source in a fresh process
  help         `avtal --help`; peer: `python -c pass`
Curves at 1x, 2x, 4x, 8x the huvudavtal (its sections cloned with new ids, in a temp folder): `avtal check`,
cold `avtal build`, `avtal redline FROM working` (all its outputs) and the Word-only redline, each with
the kept loads cleared before every run, so the curves show the work itself.
Run: .venv/bin/python bench/peers.py [--runs 5] [--quick]; writes bench/results/peers.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
AVTAL = str(BIN / "avtal")
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results" / "peers.json"
SCALES = (1, 2, 4, 8)
HUVUD = "documents/huvudavtal.yaml"
ENV = {**{k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}, "CI": "1"}  # CI: no progress line

PDFS_OURS = """
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from avtal.gcpause import exit_now, lives_until_exit
with lives_until_exit():  # as `avtal build` loads: kept later, written while typst lays out
    from avtal.model import load, snapshot
    corpus, _ = load(Path(sys.argv[1]), keep_later=True)
from avtal.render.build import build_time
from avtal.render.pdf import render_pdf
when = build_time(corpus)
largest_first = sorted(corpus.documents, key=lambda d: -sum(1 for _ in d.clauses()))
with ThreadPoolExecutor(2) as layouts, ThreadPoolExecutor(1) as writer:
    writer.submit(snapshot.flush)
    for doc, pdf in zip(largest_first, layouts.map(lambda d: render_pdf(corpus, d, when), largest_first)):
        (Path(sys.argv[2]) / f"{doc.id}.pdf").write_bytes(pdf)
exit_now(0)
"""
TYPST_ALONE = """
import sys, typst
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
fonts, sources = sys.argv[1], sys.argv[2:]
def compile(path):
    pdf = typst.compile(Path(path).read_bytes(), format="pdf", pdf_standards=["a-2b", "ua-1"], font_paths=[fonts],
                        ignore_system_fonts=True)
    Path(path).with_suffix(".pdf").write_bytes(pdf)
list(ThreadPoolExecutor(2).map(compile, sources))
"""
DOCXODUS = """
import sys
from pathlib import Path
from python_redlines import DocxodusEngine
Path(sys.argv[3]).write_bytes(DocxodusEngine().run_redline("Arbetsgruppen", sys.argv[1], sys.argv[2])[0])
"""


def uncached(sources: Path, *also: Path) -> Callable[[], None]:
    """Before a run: no kept load of any version of `sources` (and the folders `also` removed). The statute
    snapshots' cache stays: the statutes did not change, as between any two builds (a first command after a
    clone also parses them: ~0.1 s more, once)."""
    def clear() -> None:
        for folder in (sources.parent / ".build-cache" / "corpus", *also):
            shutil.rmtree(folder, ignore_errors=True)
    return clear


def timed(command: list[str], before: Callable[[], object] = lambda: None) -> Callable[[], float]:
    """A run: `before()` untimed, then the command's wall time (it must succeed)."""
    def run() -> float:
        before()
        started = time.perf_counter()
        result = subprocess.run(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if result.returncode != 0:
            raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr.decode(errors='replace')[-2000:]}")
        return time.perf_counter() - started
    return run


def alternate(ours: Callable[[], float], peer: Callable[[], float] | None, runs: int) -> dict:
    """One untimed warm-up each, then ours and the peer in turn: the machine's noise hits both alike."""
    ours()
    if peer:
        peer()
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(ours())
        if peer:
            theirs.append(peer())
    row = {"ours_s": statistics.median(mine), "ours_samples": mine}
    if peer:
        row.update(peer_s=statistics.median(theirs), peer_samples=theirs, ratio=statistics.median(mine) / statistics.median(theirs))
    return row


# ---- corpora -----------------------------------------------------------------------------------

def renamed(node, n: int):
    """A copy of a section tree with every id prefixed `k<n>-` (a new clause to the model; its text and
    cross-references are the original's, so it cites what the original cites)."""
    node = copy.deepcopy(node)
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("id"), str):
                item["id"] = f"k{n}-{item['id']}"
            stack.extend(item.get("clauses") or [])
    return node


def edited(sections: list) -> list:
    """The same sections with every fifth clause's text changed: the TO version of a redline."""
    sections = copy.deepcopy(sections)
    clauses = []
    stack = list(sections)
    while stack:
        item = stack.pop(0)
        clauses.append(item)
        stack.extend(item.get("clauses") or [])
    for clause in clauses[::5]:
        if isinstance(clause.get("text"), str):
            clause["text"] = clause["text"].rstrip("\n") + " Parterna ska särskilt följa upp detta.\n"
    return sections


class Dumper(yaml.SafeDumper):
    """Multi-line texts as `|` blocks, as drafters write them."""


Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def write_huvudavtal(sources: Path, factor: int, *, edit: bool = False) -> None:
    data = yaml.load((ROOT / "sources" / HUVUD).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    sections = data["sections"] + [renamed(s, n) for n in range(2, factor + 1) for s in data["sections"]]
    data["sections"] = edited(sections) if edit else sections
    (sources / HUVUD).write_text(yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=10_000),
                                 encoding="utf-8")


def corpus(folder: Path, factor: int) -> Path:
    """The project's sources with the huvudavtal `factor` times its size; no frozen versions or rounds."""
    sources = folder / "sources"
    shutil.copytree(ROOT / "sources", sources, ignore=shutil.ignore_patterns("versions", "remiss"))
    write_huvudavtal(sources, factor)
    return sources


def redline_pair(folder: Path, factor: int) -> tuple[Path, Path, Path]:
    """Sources with version `fore` frozen and the working huvudavtal edited, and both versions' .docx."""
    sources = corpus(folder, factor)
    run([AVTAL, "--sources", str(sources), "freeze", "fore", "--date", "2025-08-21", "--status", "förslag"])
    run([AVTAL, "--sources", str(sources), "build", "--dist", str(folder / "fore")])
    write_huvudavtal(sources, factor, edit=True)
    run([AVTAL, "--sources", str(sources), "build", "--dist", str(folder / "efter")])
    return sources, folder / "fore" / "huvudavtal.docx", folder / "efter" / "huvudavtal.docx"


def run(command: list[str]) -> None:
    subprocess.run(command, env=ENV, check=True, stdout=subprocess.DEVNULL)


def edit_clause(sources: Path) -> None:
    """Append a word to the huvudavtal's first clause text: one clause changes, no number does."""
    path = sources / HUVUD
    text = path.read_text(encoding="utf-8")
    block = re.search(r"text: \|[-+]?\n", text)
    at = text.index("\n", block.end())
    path.write_text(text[:at] + " Ändrad." + text[at:], encoding="utf-8")


# ---- figures -----------------------------------------------------------------------------------

def soffice(work: Path, docx: list[Path]) -> Callable[[], float] | None:
    found = shutil.which("soffice")
    if not found:
        return None
    out = work / "lo-pdf"
    command = [found, f"-env:UserInstallation=file://{work}/lo-profile", "--headless", "--convert-to", "pdf",
               "--outdir", str(out), *map(str, docx)]
    return timed(command, lambda: shutil.rmtree(out, ignore_errors=True))


def docxodus(before: Path, after: Path, out: Path) -> Callable[[], float] | None:
    try:
        import python_redlines  # noqa: F401
    except ImportError:
        print("note: python-redlines missing (pip install -e '.[bench]'): no redline peer", file=sys.stderr)
        return None
    return timed([PYTHON, "-c", DOCXODUS, str(before), str(after), str(out)])


def typst_sources(sources: Path, folder: Path, only: str | None = None) -> list[Path]:
    """Our typst sources of the documents (what the PDF route compiles), written to `folder`."""
    from avtal.model import load
    from avtal.render import publication
    from avtal.render.build import build_time, document

    loaded, _ = load(sources)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc in loaded.documents:
        if only in (None, doc.id):
            paths.append(folder / f"{doc.id}.typ")
            paths[-1].write_bytes(publication.typst_source(document(loaded, doc, build_time(loaded))))
    return paths


def fonts() -> str:
    from avtal.render.typeset import font_paths

    return font_paths()[0]


def figures(work: Path, runs: int) -> dict[str, dict]:
    sources = corpus(work / "one", 1)
    dist = work / "one" / "dist"
    build = [AVTAL, "--sources", str(sources), "build", "--dist", str(dist)]
    found: dict[str, dict] = {}

    cold = timed(build, uncached(sources, dist))
    cold()
    docx = sorted(dist.glob("*.docx"))
    found["cold build, 5 docs x Word+PDF+web"] = {
        "peer": "LibreOffice: the 5 .docx to PDF in one soffice process", **alternate(cold, soffice(work, docx), runs)}

    pdfs = work / "pdfs"
    pdfs.mkdir()
    typ = typst_sources(sources, work / "typ")
    found["our 5 PDFs"] = {
        "peer": "typst alone: the 5 typst sources, 2 at a time",
        **alternate(timed([PYTHON, "-c", PDFS_OURS, str(sources), str(pdfs)], uncached(sources)),
                    timed([PYTHON, "-c", TYPST_ALONE, fonts(), *map(str, typ)]), runs)}

    run(build)
    huvud = typst_sources(sources, work / "typ-huvud", "huvudavtal")
    found["edit one huvudavtal clause + build"] = {
        "peer": "typst alone: the huvudavtal's typst source, fresh process",
        **alternate(timed(build, lambda: edit_clause(sources)),
                    timed([PYTHON, "-c", TYPST_ALONE, fonts(), *map(str, huvud)]), runs)}

    found["avtal --help"] = {"peer": "python -c pass",
                             **alternate(timed([AVTAL, "--help"]), timed([PYTHON, "-c", "pass"]), runs)}

    for factor in (1, 8):
        folder = work / f"redline-{factor}"
        pair_sources, before, after = redline_pair(folder, factor)
        ours_command = [PYTHON, str(ROOT / "bench" / "_redline_word.py"), str(pair_sources), "fore", "working",
                        str(folder / "ours.docx")]
        ours = timed(ours_command)
        peer = docxodus(before, after, folder / "peer.docx")
        found[f"redline huvudavtal {factor}x, Word, whole process"] = {
            "peer": "python-redlines (Docxodus) on the two .docx", "size_kb": before.stat().st_size // 1024,
            **alternate(ours, peer, runs if factor == 1 else max(3, runs // 2))}
        ours_cold = timed(ours_command, uncached(pair_sources))
        found[f"redline huvudavtal {factor}x, Word, no cache"] = {
            "peer": "python-redlines (Docxodus) on the two .docx",
            **alternate(ours_cold, peer, runs if factor == 1 else max(3, runs // 2))}
    return found


def curves(work: Path, runs: int) -> dict[str, dict[int, float]]:
    found: dict[str, dict[int, float]] = {"check": {}, "build (cold)": {}, "redline (avtal redline)": {},
                                          "redline (Word only)": {}}
    for factor in SCALES:
        folder = work / f"curve-{factor}"
        sources, _, _ = redline_pair(folder, factor)
        dist = folder / "dist"
        samples = {
            "check": timed([AVTAL, "--sources", str(sources), "check"], uncached(sources)),
            "build (cold)": timed([AVTAL, "--sources", str(sources), "build", "--dist", str(dist)],
                                  uncached(sources, dist)),
            "redline (avtal redline)": timed([AVTAL, "--sources", str(sources), "redline", "fore", "working",
                                              "--dist", str(folder / "redline")], uncached(sources)),
            "redline (Word only)": timed([PYTHON, str(ROOT / "bench" / "_redline_word.py"), str(sources), "fore",
                                          "working", str(folder / "ours.docx")], uncached(sources)),
        }
        for name, measure in samples.items():
            found[name][factor] = alternate(measure, None, runs)["ours_s"]
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="figures only, no curves")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="avtal-bench-peers-") as tmp:
        found = figures(Path(tmp), args.runs)
        lines = curves(Path(tmp), max(3, args.runs // 2)) if not args.quick else {}
    print(f"ours vs fair peer: medians of {args.runs} alternating runs, {os.cpu_count()} cores")
    print(f"{'figure':<44}{'ours':>8}{'peer':>8}{'ours/peer':>11}  peer")
    for name, row in found.items():
        peer = (f"{row['peer_s']:>7.2f}s", f"{row['ratio']:>10.2f}x") if "peer_s" in row else (f"{'-':>8}", f"{'-':>11}")
        print(f"{name:<44}{row['ours_s']:>7.2f}s{peer[0]}{peer[1]}  {row['peer']}")
    if lines:
        print(f"\ncurves (seconds) at {', '.join(f'{f}x' for f in SCALES)} the huvudavtal; last column: 8x / 1x")
        for name, points in lines.items():
            print(f"{name:<28}" + "".join(f"{points[f]:>8.2f}" for f in SCALES) + f"{points[8] / points[1]:>8.1f}x")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                   "cores": os.cpu_count(), "runs": args.runs, "figures": found, "curves": lines},
                                  ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
