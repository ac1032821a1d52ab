"""Accept or reject every tracked change in Word files with LibreOffice itself, and save the text.

Run by Debian's /usr/bin/python3 (it has python3-uno; the project's venv does not):

    lo_tracked.py SOFFICE PROFILE_DIR OUT_DIR FILE.docx...

For the Nth FILE (from 0) it writes OUT_DIR/N.accept.txt and OUT_DIR/N.reject.txt: the text LibreOffice
has after dispatching .uno:AcceptAllTrackedChanges / .uno:RejectAllTrackedChanges, saved with its
"Text (encoded)" filter as UTF-8, and prints one line per text: FILE, mode, the number of tracked
changes LibreOffice found, the text file. One soffice process for all files (it is slow to start).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(soffice: str, profile: Path):
    pipe = f"avtal{os.getpid()}"
    process = subprocess.Popen([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
                                "--norestore", "--nologo", "--nodefault",
                                f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return process, context
        except NoConnectException:
            if process.poll() is not None:
                sys.exit(f"soffice exited with {process.returncode} before accepting a connection")
            time.sleep(0.5)
    process.kill()
    sys.exit("soffice did not accept a connection within 120 s")


def main() -> None:
    soffice, profile, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    files = [Path(f).resolve() for f in sys.argv[4:]]
    out.mkdir(parents=True, exist_ok=True)
    process, context = connect(soffice, profile)
    manager = context.ServiceManager
    desktop = manager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    dispatcher = manager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", context)
    try:
        for number, path in enumerate(files):
            for mode, command in (("accept", ".uno:AcceptAllTrackedChanges"),
                                  ("reject", ".uno:RejectAllTrackedChanges")):
                doc = desktop.loadComponentFromURL(path.as_uri(), "_blank", 0, (prop("Hidden", True),))
                if doc is None:
                    sys.exit(f"LibreOffice could not open {path}")
                changes = doc.getRedlines().getCount()
                frame = doc.getCurrentController().getFrame()
                dispatcher.executeDispatch(frame, command, "", 0, ())
                target = out / f"{number}.{mode}.txt"
                doc.storeToURL(target.as_uri(), (prop("FilterName", "Text (encoded)"),
                                                 prop("FilterOptions", "UTF8,LF,,,")))
                doc.close(True)
                print(f"{path}\t{mode}\t{changes}\t{target}", flush=True)
                if not changes:  # nothing to accept or reject: both texts are the one text
                    (out / f"{number}.reject.txt").write_bytes(target.read_bytes())
                    print(f"{path}\treject\t0\t{out / f'{number}.reject.txt'}", flush=True)
                    break
    finally:
        try:
            desktop.terminate()
        except Exception:  # the bridge goes away as soffice exits
            pass
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    main()
