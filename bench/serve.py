"""Benchmark `avtal serve` (issue 18): an edit of one clause, with a real Chromium page open.

Measured on a temporary copy of the sources, the server started as a drafter starts it
(`avtal serve`), the huvudavtal open in headless Chromium (tests/validators/live.mjs):
  web    - from saving the file to the updated page painted (the page itself reports when its
           text shows the edit, then the next frame); goal <= 150 ms (median)
  pdf    - from saving the file to the document's PDF replaced in dist/; goal <= 500 ms (median)
  memory - the server's resident memory (VmRSS) over consecutive edits, each waited for on the
           page: first and last, and every 100th; goal: flat
and, in process, what the web step is made of: loading the edited sources (warm), the build
plan (fingerprints), and writing the page (the document tree, then our HTML writer).
Each web/pdf edit starts on a quiet server (the previous edit's PDF and Word written).
Run: .venv/bin/python bench/serve.py [--edits 15] [--memory-edits 500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.clients import LivePage  # noqa: E402  (the same driver the tests use)

AVTAL = str(Path(sys.executable).with_name("avtal"))
EDITED = "documents/huvudavtal.yaml"
CLAUSE = "Regionen och kommunerna har sedan"  # the start of inledning.bakgrund's text
DOCUMENTS = ("huvudavtal", "lakarinsatser", "in-och-utskrivning", "psykisk-funktionsnedsattning", "munhalsa")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def wait_for(condition, timeout: float = 120.0, step: float = 0.002) -> float:
    """Poll until `condition()` is true; the time.time() when it was seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.time()
        time.sleep(step)
    raise TimeoutError("condition not met in time")


def mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def start(project: Path) -> tuple[subprocess.Popen, str]:
    with (project / "serve.out").open("wb") as out, (project / "serve.err").open("wb") as err:
        process = subprocess.Popen([AVTAL, "serve", "--port", "0"], cwd=project, stdout=out, stderr=err)
    line = ""
    wait_for(lambda: "serving http" in (project / "serve.out").read_text(), step=0.05)
    for line in (project / "serve.out").read_text().splitlines():
        if line.startswith("serving "):
            break
    url = line.split()[1].rsplit("/web/", 1)[0]
    manifest = project / "dist" / ".avtal-build.json"

    def first_build_done() -> bool:
        try:
            outputs = json.loads(manifest.read_text())["outputs"]
        except (OSError, ValueError, KeyError):
            return False
        return all(f"{d}.docx" in outputs for d in DOCUMENTS)

    wait_for(first_build_done, timeout=600, step=0.1)
    return process, url


def parts_of_the_web_step(runs: int) -> dict[str, float]:
    """Medians (ms), in process: warm load of an edited file, the plan, the page (tree, HTML writer)."""
    from avtal.model.corpus import Memo, load
    from avtal.render import build as builder
    from avtal.render.tree import TreeBuilder
    from avtal.render import html
    from avtal.render.web import render_page

    with tempfile.TemporaryDirectory(prefix="avtal-bench-") as folder:
        sources = Path(folder) / "sources"
        shutil.copytree(ROOT / "sources", sources)
        memo = Memo()
        corpus, _ = load(sources, root=Path(folder), memo=memo)
        path = sources / EDITED
        original = path.read_text(encoding="utf-8")
        times: dict[str, list[float]] = {"load_ms": [], "plan_ms": [], "tree_ms": [], "html_ms": [],
                                         "page_ms": []}
        for n in range(runs):
            path.write_text(original.replace(CLAUSE, f"Regionen och kommunerna Del{n} har sedan", 1), encoding="utf-8")
            started = time.perf_counter()
            corpus, _ = load(sources, root=Path(folder), memo=memo)
            times["load_ms"].append(time.perf_counter() - started)
            started = time.perf_counter()
            builder.plan(corpus, builder.build_time(corpus))
            times["plan_ms"].append(time.perf_counter() - started)
            doc = corpus.document("huvudavtal")
            started = time.perf_counter()
            tree = TreeBuilder(corpus, doc, "html", statute_texts=True).tree()
            times["tree_ms"].append(time.perf_counter() - started)
            started = time.perf_counter()
            html.blocks(tree["blocks"])
            times["html_ms"].append(time.perf_counter() - started)
            started = time.perf_counter()
            render_page(corpus, doc)
            times["page_ms"].append(time.perf_counter() - started)
        return {k: round(statistics.median(v) * 1000, 1) for k, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=15, help="edits timed for the web page and the PDF")
    parser.add_argument("--memory-edits", type=int, default=500, help="consecutive edits for the memory figure")
    args = parser.parse_args()
    results: dict[str, object] = {"benchmark": "serve", "when": dt.datetime.now(dt.timezone.utc).isoformat(
        timespec="seconds"), "python": platform.python_version(), "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="avtal-bench-serve-") as folder:
        project = Path(folder)
        shutil.copytree(ROOT / "sources", project / "sources")
        process, url = start(project)
        try:
            path, pdf = project / "sources" / EDITED, project / "dist" / "huvudavtal.pdf"
            manifest = project / "dist" / ".avtal-build.json"
            original = path.read_text(encoding="utf-8")
            web, pdfs = [], []
            with LivePage(f"{url}/web/huvudavtal.html") as page:
                for n in range(args.edits):
                    word = f"Bench{n}x"
                    page.start_waiting(f"document.querySelector('main').textContent.includes({word!r})")
                    pdf_before, manifest_before = mtime_ns(pdf), mtime_ns(manifest)
                    saved = time.time()
                    path.write_text(original.replace(CLAUSE, f"Regionen och kommunerna {word} har sedan", 1),
                                    encoding="utf-8")
                    written = wait_for(lambda: mtime_ns(pdf) != pdf_before)
                    seen = page.waited()
                    if seen is None:
                        raise RuntimeError(f"edit {n} never reached the page")
                    web.append(seen["painted"] - saved * 1000)
                    pdfs.append((written - saved) * 1000)
                    wait_for(lambda: mtime_ns(manifest) != manifest_before)  # Word written too: a quiet server
                    time.sleep(0.2)
                first = rss_kib(process.pid)
                memory = [first]
                for n in range(args.memory_edits):
                    word = f"Minne{n}x"
                    page.start_waiting(f"document.querySelector('main').textContent.includes({word!r})")
                    path.write_text(original.replace(CLAUSE, f"Regionen och kommunerna {word} har sedan", 1),
                                    encoding="utf-8")
                    if page.waited() is None:
                        raise RuntimeError(f"memory edit {n} never reached the page")
                    if (n + 1) % 100 == 0 or n + 1 == args.memory_edits:
                        memory.append(rss_kib(process.pid))
            results["web_painted_ms"] = {"median": round(statistics.median(web), 1), "min": round(min(web), 1),
                                         "max": round(max(web), 1), "goal": 150,
                                         "samples": [round(x, 1) for x in web]}
            results["pdf_written_ms"] = {"median": round(statistics.median(pdfs), 1), "min": round(min(pdfs), 1),
                                         "max": round(max(pdfs), 1), "goal": 500,
                                         "samples": [round(x, 1) for x in pdfs]}
            results["rss_kib"] = {"edits": args.memory_edits, "first": memory[0], "last": memory[-1],
                                  "every_100": memory}
        finally:
            process.send_signal(signal.SIGINT)
            results["exit_code"] = process.wait(timeout=60)
    results["web_step_parts_ms"] = parts_of_the_web_step(7)
    results["load_average_at_end"] = os.getloadavg()
    w, p, m = results["web_painted_ms"], results["pdf_written_ms"], results["rss_kib"]
    print(f"avtal serve benchmark: medians of {args.edits} edits, {os.cpu_count()} cores, "
          f"load average {results['load_average_at_start'][0]:.1f} → {results['load_average_at_end'][0]:.1f}")
    print(f"  edit → updated web page painted   {w['median']:7.0f} ms (min {w['min']:.0f}, goal ≤ 150)")
    print(f"  edit → updated PDF written        {p['median']:7.0f} ms (min {p['min']:.0f}, goal ≤ 500)")
    print(f"  server RSS over {m['edits']} edits         {m['first'] / 1024:.0f} MiB → {m['last'] / 1024:.0f} MiB "
          f"({', '.join(f'{x / 1024:.0f}' for x in m['every_100'])})")
    print("  web step, in process (ms): " + ", ".join(f"{k[:-3]} {v:.0f}" for k, v in results["web_step_parts_ms"].items()))
    out = ROOT / "bench" / "results" / "serve.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
