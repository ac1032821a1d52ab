"""One deterministic zip writer for every package we write: Word and Excel files, and the remiss zips.

The same entries give the same bytes on any machine and at any time: members in the order given,
every timestamp `when`, a Unix creator with permissions 0644, and each member deflated unless
`stored(name)` says it is compressed already (a .docx or PDF inside a zip) or must stay byte-addressable.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Callable, Iterable


def zip_bytes(entries: Iterable[tuple[str, bytes]], when: dt.datetime, *,
              stored: Callable[[str], bool] = lambda name: False) -> bytes:
    """The zip of `entries` (name, data), in that order, every member dated `when`."""
    out = io.BytesIO()
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_STORED if stored(name) else zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, whatever the platform: the permissions below mean the same everywhere
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return out.getvalue()
