"""Benchmark `avtal remiss report`: the sample round, and a generated round of 290 answerers x 40 comments.

Medians of N runs each, on a copy of the sources in a temporary folder:
  sample     - the real round remiss-2025 (its answers and positions in sources/remiss/remiss-2025/), the
               whole command `avtal remiss report remiss-2025` (Python start-up included) and
               `write_report` in process. Goal: <= 2 s. Skipped while the round has no answers.
  generated  - a round of 290 parties (a generated parter.yaml: the real 50 plus 240 invented municipalities)
               each answering 40 comments on the round's version (every third with a proposal, two of three
               with a position), written as answer YAML; the whole command. Goal: <= 15 s.
  peer       - LibreOffice (headless, one `soffice --convert-to pdf` per run, own profile) turning the
               report's own Word file into a PDF, against our PDF of the same report (the pandoc tree →
               typst → PDF/UA-1 step, in process): the two ways to get a PDF of the same content.
Besides wall time, each command's CPU seconds (its own and pandoc's; typst runs inside it) are recorded:
the machine is shared, and wall times move with its load average (printed) far more than CPU time does.
Writes bench/results/remiss_report.json.
Run: .venv/bin/python bench/remiss_report.py [--runs 5] [--generated-runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
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
SOURCES = ROOT / "sources"
RESULTS = ROOT / "bench" / "results" / "remiss_report.json"
AVTAL = Path(sys.executable).parent / "avtal"
ROUND = "remiss-2025"
GOAL_SAMPLE_S = 2.0
GOAL_GENERATED_S = 15.0
PARTIES, COMMENTS = 290, 40

from avtal.fsutil import atomic_write_text  # noqa: E402
from avtal.model.versions import load_version  # noqa: E402
from avtal.remiss.report import report as report_module  # noqa: E402
from avtal.remiss.report.report import STEM, collect, write_report  # noqa: E402

WORDS = ("ansvar samverkan vård hemmet kommunen regionen patienten läkare insats planering uppföljning "
         "tydlighet rutin kompetens läkemedel hjälpmedel samordning information överföring dokumentation").split()
STANCES = ("invänder", "synpunkt", "instämmer", "ingen erinran", None)
STATUSES = ("beaktad", "delvis beaktad", "ej beaktad", "noterad")


def timed(run: Callable[[], object], runs: int, warm: bool = True) -> list[float]:
    if warm:
        run()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        out.append(time.perf_counter() - started)
    return out


CPU: list[float] = []  # CPU seconds (user + system, the command and its pandoc) of each command run


def command(sources: Path, dist: Path) -> Callable[[], None]:
    def run() -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([str(AVTAL), "--sources", str(sources), "remiss", "report", ROUND, "--dist", str(dist)],
                       check=True, capture_output=True, cwd=sources.parent)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return run


def copy_sources(target: Path) -> Path:
    sources = target / "sources"
    shutil.copytree(SOURCES, sources, ignore=shutil.ignore_patterns("inkommet", "*.xlsx"))
    return sources


def generate(sources: Path, parties: int = PARTIES, comments: int = COMMENTS) -> int:
    """Replace the round's answers and positions by a generated round; returns the number of comments."""
    book = yaml.safe_load((sources / "parter.yaml").read_text(encoding="utf-8"))
    groups = [g["id"] for g in book["kommunalforbund"]]
    for n in range(parties - len(book["parties"])):
        book["parties"].append({"id": f"kommun-{n + 1:03d}", "name": f"Provkommun {n + 1}", "kind": "kommun",
                                "kommunalforbund": groups[n % len(groups)],
                                "email": f"kommunstyrelsen@kommun-{n + 1:03d}.example", "email_placeholder": True})
    (sources / "parter.yaml").write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False), encoding="utf-8")
    folder = sources / "remiss" / ROUND
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "svar").mkdir(parents=True)
    corpus, _ = load_version(sources, ROUND)
    clauses = [c.id for d in corpus.documents for c in d.clauses()]
    positions, total = [], 0
    for i, party in enumerate(book["parties"][:parties]):
        items = []
        for j in range(comments):
            k = i * comments + j
            text = " ".join(WORDS[(k * 7 + w * 3) % len(WORDS)] for w in range(25 + k % 30)).capitalize() + "."
            item = {"id": f"{party['id']}-{j + 1}", "source": "form", "text": text}
            if j % 13 == 12:
                pass  # a general comment
            else:
                item["clause"] = clauses[(k * 31) % len(clauses)]
            stance = STANCES[k % len(STANCES)]
            if stance:
                item["stance"] = stance
            if j % 3 == 0:
                item["proposal"] = "Ny lydelse: " + " ".join(WORDS[(k + w) % len(WORDS)] for w in range(18)) + "."
            items.append(item)
            if k % 3:
                positions.append({"comments": [item["id"]], "status": STATUSES[k % len(STATUSES)],
                                  "reason": f"Arbetsgruppen har prövat synpunkten ({k}).",
                                  **({"clauses": [item["clause"]]} if k % 4 == 1 and "clause" in item else {})})
        total += len(items)
        received = dt.date(2025, 4, 1) + dt.timedelta(days=i % 50)
        answer = {"round": ROUND, "party": party["id"], "revisions": [{"number": 1, "received": received.isoformat()}],
                  "comments": items}
        (folder / "svar" / f"{party['id']}.yaml").write_text(yaml.safe_dump(answer, allow_unicode=True,
                                                                            sort_keys=False), encoding="utf-8")
    (folder / "stallningstaganden.yaml").write_text(
        yaml.safe_dump({"round": ROUND, "positions": positions}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return total


def our_pdf(sources: Path) -> Callable[[], bytes]:
    """Our PDF step alone: the report's tree (built once) lowered to typst and compiled."""
    report = collect(sources, ROUND)
    builder = report_module.Builder(report)
    blocks = builder.blocks()
    builder.draw_charts()
    return lambda: report_module._pdf(report, report_module._lower(blocks, "typst", builder))


def libreoffice_pdf(docx: Path, work: Path) -> Callable[[], None] | None:
    soffice = shutil.which("soffice")
    if soffice is None:
        return None

    def run() -> None:
        subprocess.run([soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(work / "lo"), str(docx)], check=True,
                       capture_output=True, timeout=600)
    return run


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--generated-runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    result: dict = {"benchmark": "remiss_report", "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "python": platform.python_version(), "cores": os.cpu_count(), "runs": args.runs}
    result["load_average_before"] = os.getloadavg()[0]
    lines = [f"remiss report benchmark: medians, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} "
             "before (the machine is shared: wall times move with it, CPU seconds much less)"]
    with tempfile.TemporaryDirectory(prefix="avtal-bench-report-") as tmp:
        work = Path(tmp)
        sample = copy_sources(work / "sample")
        answers = sorted((sample / "remiss" / ROUND / "svar").glob("*.yaml"))
        if answers:
            dist = work / "sample" / "dist"
            report = collect(sample, ROUND)
            CPU.clear()
            cmd = timed(command(sample, dist), args.runs)
            cpu = statistics.median(CPU)
            lib = timed(lambda: write_report(sample, ROUND, dist), args.runs)
            ours = timed(our_pdf(sample), args.runs)
            row = {"answers": len(answers), "comments": len(report.entries), "command_s": statistics.median(cmd),
                   "in_process_s": statistics.median(lib), "goal_s": GOAL_SAMPLE_S,
                   "goal_met": statistics.median(cmd) <= GOAL_SAMPLE_S, "command_samples": cmd, "command_cpu_s": cpu,
                   "our_pdf_s": statistics.median(ours)}
            lo = libreoffice_pdf(dist / "remiss" / ROUND / f"{STEM}.docx", work)
            if lo is not None:
                peer = timed(lo, max(3, args.runs // 2))
                row.update({"peer": "LibreOffice docx → PDF", "peer_s": statistics.median(peer),
                            "ratio": statistics.median(peer) / statistics.median(ours)})
            result["sample"] = row
            lines.append(f"sample round {ROUND}: {row['answers']} answers, {row['comments']} comments: command "
                         f"{row['command_s']:.2f} s, {cpu:.2f} s CPU (in process {row['in_process_s']:.2f} s; goal <= "
                         f"{GOAL_SAMPLE_S:.0f} s: {'met' if row['goal_met'] else 'MISSED'})")
            if "peer_s" in row:
                lines.append(f"  PDF of the report: ours {row['our_pdf_s']:.2f} s, LibreOffice from our docx "
                             f"{row['peer_s']:.2f} s: {row['ratio']:.1f}x")
        else:
            lines.append(f"sample round {ROUND}: no answers in sources/remiss/{ROUND}/svar/ yet: skipped")
        generated = copy_sources(work / "generated")
        count = generate(generated)
        dist = work / "generated" / "dist"
        CPU.clear()
        gen = timed(command(generated, dist), args.generated_runs, warm=False)
        cpu = statistics.median(CPU)
        ours = timed(our_pdf(generated), 1, warm=False)
        row = {"parties": PARTIES, "comments": count, "command_s": statistics.median(gen), "samples": gen,
               "command_cpu_s": cpu,
               "goal_s": GOAL_GENERATED_S, "goal_met": statistics.median(gen) <= GOAL_GENERATED_S,
               "our_pdf_s": ours[0],
               "sizes": {p.name: p.stat().st_size for p in (dist / "remiss" / ROUND).glob(f"{STEM}.*")}}
        lo = libreoffice_pdf(dist / "remiss" / ROUND / f"{STEM}.docx", work)
        if lo is not None:
            peer = timed(lo, 1, warm=False)
            row.update({"peer": "LibreOffice docx → PDF", "peer_s": peer[0], "ratio": peer[0] / ours[0]})
        result["generated"] = row
        lines.append(f"generated round: {PARTIES} answerers x {COMMENTS} = {count} comments: command "
                     f"{row['command_s']:.2f} s, {cpu:.2f} s CPU (goal <= {GOAL_GENERATED_S:.0f} s: "
                     f"{'met' if row['goal_met'] else 'MISSED'})")
        if "peer_s" in row:
            lines.append(f"  PDF of the report: ours {row['our_pdf_s']:.2f} s, LibreOffice from our docx "
                         f"{row['peer_s']:.2f} s: {row['ratio']:.1f}x (one run each)")
    result["load_average_after"] = os.getloadavg()[0]
    atomic_write_text(RESULTS, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
