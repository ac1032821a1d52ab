"""How long `avtal remiss import` takes: the sample round, and generated rounds of up to 290 parties.

1. Sample: every file in samples/remiss-2025/inkommande/ (forms, returned drafts,
   letters as Word and PDF, manual YAML) imported into a fresh copy of the
   sources, in process (median of 5). Goal: at most 2 s. Also: the same import
   reading files one after another instead of in worker processes; the whole
   command as `make` runs it on the committed result (nothing to do; median of
   5, with interpreter start-up); and, as the peer, python-docx merely opening
   the same Word files and reading their text (what a naive importer starts with).
2. Scale: rounds of 50, 100, 200 and 290 parties, each answering with a filled
   svarsformulär of 40 comments (39 rows and the general field) — the
   realistic case — made from one form filled by `tests/remiss/forms.fill_form`
   and re-tagged for each party; and the same answers as hand-written YAML
   (the importer's own cost without reading Word). Median of 3 runs per size,
   the sizes interleaved; wall and CPU time (this process and its workers: the
   machine is shared, and CPU time shows the growth with less noise). Goal:
   290 × 40 in at most 15 s, growing linearly.

Writes bench/results/remiss_import.json.
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SOURCES = ROOT / "sources"
ROUND = "remiss-2025"
BATCH = ROOT / "samples" / ROUND / "inkommande" / "diarium.yaml"
RESULTS = ROOT / "bench" / "results" / "remiss_import.json"
GOAL_SAMPLE_S, GOAL_SCALE_S = 2.0, 15.0
SIZES = (50, 100, 200, 290)
COMMENTS = 40
RUNS, SCALE_RUNS = 5, 3

import yaml  # noqa: E402

from avtal.remiss.incoming import recognise  # noqa: E402
from avtal.remiss.incoming.importer import import_files  # noqa: E402


def fresh(target: Path, parties: str | None = None) -> Path:
    """A copy of the sources without the round's answers (and with other parties, if given)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SOURCES, target, ignore=lambda d, names: [n for n in names if Path(d).name == "remiss"
                                                               and (n == ROUND or n.startswith("."))])
    if parties is not None:
        (target / "parter.yaml").write_text(parties, encoding="utf-8")
    return target


def timed(func, runs: int, setup=None) -> list[float]:
    times = []
    for _ in range(runs):
        if setup:
            setup()
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def command() -> list[str]:
    installed = Path(sys.executable).parent / "avtal"
    return [str(installed)] if installed.is_file() else [sys.executable, "-m", "avtal.cli"]


def sample(work: Path) -> dict:
    target = work / "sample" / "sources"
    run = lambda: import_files(target, ROUND, [], batch=BATCH)  # noqa: E731
    fresh(target)
    report = run()  # warm-up: imports, page cache
    files = len(report.files)
    comments = sum(f.added for f in report.files)
    parallel = timed(run, RUNS, lambda: fresh(target))
    saved, recognise.PARALLEL_MIN = recognise.PARALLEL_MIN, 10 ** 9
    try:
        sequential = timed(run, RUNS, lambda: fresh(target))
    finally:
        recognise.PARALLEL_MIN = saved
    # What `make` runs: the whole command on the committed, already imported round.
    make = timed(lambda: subprocess.run([*command(), "remiss", "import", ROUND, "--batch", str(BATCH)], cwd=ROOT,
                                        capture_output=True, check=True), RUNS)
    import docx

    words = [p for p in BATCH.parent.glob("*.docx")]

    def peer():
        for path in words:
            document = docx.Document(str(path))
            _ = [p.text for p in document.paragraphs]
            _ = [c.text for t in document.tables for row in t.rows for c in row.cells]

    peer_times = timed(peer, 3)
    return {"files": files, "comments": comments, "word_files": len(words),
            "import_s": statistics.median(parallel), "import_runs": parallel,
            "sequential_s": statistics.median(sequential), "sequential_runs": sequential,
            "make_command_s": statistics.median(make), "make_runs": make,
            "peer_python_docx_open_s": statistics.median(peer_times), "peer_runs": peer_times}


# -- generated rounds --

def parties_yaml(n: int) -> str:
    entries = [{"id": f"kommun-{i:03d}", "name": f"Kommun {i:03d}", "kind": "kommun",
                "email": f"registrator@kommun-{i:03d}.example", "email_placeholder": True} for i in range(1, n + 1)]
    return yaml.safe_dump({"parties": entries}, allow_unicode=True, sort_keys=False)


def one_form(work: Path) -> tuple[Path, list[str]]:
    """One real svarsformulär filled with 39 rows and a general comment; returns it and the clause ids used."""
    from avtal.model.versions import load_version
    from avtal.remiss.outgoing.pack import pack_round
    from tests.remiss.forms import fill_form

    sources = fresh(work / "pack" / "sources")
    pack_round(sources, ROUND, work / "pack" / "dist")
    (form,) = (work / "pack" / "dist" / "remiss" / ROUND / "boras").glob("Svarsformulär*.docx")
    corpus, _ = load_version(SOURCES, ROUND)
    clauses = [c.id for d in corpus.documents for c in d.clauses()][:COMMENTS - 1]
    stances = ("invänder", "synpunkt", "instämmer", "ingen erinran")
    rows = {cid: (stances[i % 4], f"Synpunkt {i + 1} på avsnittet: kommunen vill att ansvaret förtydligas och att "
                                  f"rutinen följs upp årligen i delregional samverkan ({cid}).",
                  "Ny lydelse: parterna ska gemensamt ta fram en rutin." if i % 3 == 0 else "")
            for i, cid in enumerate(clauses)}
    out = fill_form(form, work / "filled.docx", rows=rows, general="Kommunen ställer sig i huvudsak bakom förslaget.",
                    decided_by=("Kommunstyrelsen", "2025-04-15", "§ 45"))
    return out, clauses


def retag(form: Path, out: Path, party: str) -> None:
    """The same filled form as party `party` sends it (its identity in properties and page-header marker)."""
    with zipfile.ZipFile(form) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/custom.xml":
                data = re.sub(rb'(name="avtal.party"><vt:lpwstr>)[^<]*', rb"\g<1>" + party.encode(), data)
            elif re.fullmatch(r"word/header\d*\.xml", item.filename):
                data = re.sub(rb"party=[a-z0-9-]+", b"party=" + party.encode(), data)
            dst.writestr(item, data)


def cpu_seconds() -> float:
    """CPU time of this process and its (finished) workers: less disturbed than wall time on a shared machine."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def scale(work: Path) -> dict:
    form, clauses = one_form(work)
    inputs = {}
    for n in SIZES:
        inbox = work / f"in-{n}"
        inbox.mkdir()
        for i in range(1, n + 1):
            pid = f"kommun-{i:03d}"
            retag(form, inbox / f"Svarsformulär {ROUND} – {pid}.docx", pid)
            comments = [{"clause": cid, "stance": "synpunkt", "text": f"Synpunkt {k + 1} från {pid}."}
                        for k, cid in enumerate(clauses)] + [{"text": "Kommunen ställer sig bakom förslaget."}]
            (inbox / f"{pid}.yaml").write_text(yaml.safe_dump({"round": ROUND, "party": pid, "comments": comments},
                                                              allow_unicode=True, sort_keys=False), encoding="utf-8")
        inputs[n] = (inbox, parties_yaml(n))
    walls: dict = {kind: {n: [] for n in SIZES} for kind in ("forms", "manual")}
    cpus: dict = {kind: {n: [] for n in SIZES} for kind in ("forms", "manual")}
    # Every size in every round of runs, so a change in the machine's load hits all sizes alike.
    for _ in range(SCALE_RUNS):
        for n in SIZES:
            inbox, listing = inputs[n]
            target = work / f"round-{n}" / "sources"
            for kind, pattern in (("forms", "*.docx"), ("manual", "*.yaml")):
                files = sorted(inbox.glob(pattern))
                fresh(target, listing)
                cpu, started = cpu_seconds(), time.perf_counter()
                report = import_files(target, ROUND, files, received=None)
                walls[kind][n].append(time.perf_counter() - started)
                cpus[kind][n].append(cpu_seconds() - cpu)
                added = sum(f.added for f in report.files)
                assert added == n * COMMENTS, (kind, n, added)
    results: dict = {"forms": {}, "manual": {}}
    for kind in results:
        for n in SIZES:
            wall, cpu = statistics.median(walls[kind][n]), statistics.median(cpus[kind][n])
            results[kind][n] = {"parties": n, "comments": n * COMMENTS, "median_s": wall, "runs": walls[kind][n],
                                "cpu_s": cpu, "cpu_runs": cpus[kind][n]}
            print(f"  {kind:6} {n:4} parties × {COMMENTS}: {wall:6.2f} s wall ({wall / n * 1000:5.1f} ms per party), "
                  f"{cpu:6.2f} s CPU ({cpu / n * 1000:5.1f} ms per party)", flush=True)
    return results


def linearity(points: dict, key: str = "median_s") -> dict:
    """Least-squares line through (parties, seconds), and the worst relative deviation from it."""
    xs = [p["parties"] for p in points.values()]
    ys = [p[key] for p in points.values()]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    intercept = my - slope * mx
    worst = max(abs(y - (intercept + slope * x)) / y for x, y in zip(xs, ys))
    return {"seconds_per_party": slope, "fixed_s": intercept, "worst_deviation": worst}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="avtal-bench-import-") as tmp:
        work = Path(tmp)
        s = sample(work)
        print(f"sample round: {s['files']} files, {s['comments']} comments")
        print(f"  import, in process (median of {RUNS}):          {s['import_s']:.2f} s   goal ≤ {GOAL_SAMPLE_S} s")
        print(f"  same, files read one after another:          {s['sequential_s']:.2f} s")
        print(f"  `make`: the command on the imported round:   {s['make_command_s']:.2f} s (nothing to do)")
        print(f"  peer: python-docx opens the {s['word_files']} Word files: {s['peer_python_docx_open_s']:.2f} s "
              f"(import / peer = {s['import_s'] / s['peer_python_docx_open_s']:.1f}×)")
        print(f"scale ({COMMENTS} comments per party, median of {SCALE_RUNS}):")
        sc = scale(work)
    lines = {f"{kind} {key}": linearity(points, key) for kind, points in sc.items() for key in ("median_s", "cpu_s")}
    for name, line in lines.items():
        print(f"  {name.replace('median_s', 'wall').replace('cpu_s', 'CPU')}: {line['seconds_per_party'] * 1000:.1f} "
              f"ms per party + {line['fixed_s']:.2f} s fixed; largest deviation from a straight line "
              f"{line['worst_deviation']:.0%}")
    biggest = sc["forms"][SIZES[-1]]["median_s"]
    print(f"  290 × {COMMENTS} as forms: {biggest:.2f} s   goal ≤ {GOAL_SCALE_S} s"
          f"{'' if biggest <= GOAL_SCALE_S else '  (missed)'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "goals": {"sample_s": GOAL_SAMPLE_S, "scale_290_s": GOAL_SCALE_S},
        "sample": s, "scale": {k: {str(n): v for n, v in points.items()} for k, points in sc.items()},
        "linearity": lines}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
