"""What a party's file may be and cost: the refusal every check raises, the limits, and reading within them.

Why each limit exists is in `untrusted`'s docstring.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...fsutil import FileRefused, read_limited

Kind = Literal["docx", "pdf", "yaml"]

MB = 1024 * 1024

#: What we accept, for the "expected ..." part of every refusal.
EXPECTED = "a Word document (.docx), a PDF with a text layer (.pdf) or a YAML answer (.yaml)"
EXPECTED_DOCX = "a Word document saved as .docx (not .doc, .docm or a template)"

class UntrustedFileError(Exception):
    """A party's file refused: .path, .reason (what was wrong), .expected (what we accept)."""

    def __init__(self, path: Path, reason: str, expected: str):
        self.path = Path(path)
        self.reason = reason
        self.expected = expected
        super().__init__(f"{path}: {reason}; expected {expected}")


@dataclass(frozen=True)
class Limits:
    """Bounds on what a party's file may cost us to read (see the module docstring for why)."""

    max_file_bytes: int = 25 * MB
    max_members: int = 2000
    max_member_bytes: int = 50 * MB
    max_total_uncompressed: int = 200 * MB
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MB
    max_xml_depth: int = 256
    max_pdf_pages: int = 300
    max_pdf_text_chars: int = 5_000_000
    max_yaml_aliases: int = 0


LIMITS = Limits()

LIBXML_MAX_DEPTH = 256  # what libxml2 enforces without XML_PARSE_HUGE


def size_text(n: float) -> str:
    if n < 1024:
        return f"{int(n)} bytes"
    if n < MB:
        return f"{n / 1024:.1f} KB"
    return f"{n / MB:.1f} MB"


# --------------------------------------------------------------------------- reading the file


def read_bounded(path: Path, limits: Limits) -> bytes:
    """The whole file, read once (so later checks see the same bytes), refusing empty or oversized.

    Sized by stat before a byte is read, and read only up to the limit: a named
    pipe, device or folder is refused at once instead of blocking or filling memory.
    """
    path = Path(path)
    try:
        st = path.lstat()
    except OSError as exc:
        raise UntrustedFileError(path, f"the file cannot be read ({exc.strerror or exc})", EXPECTED) from None
    if stat.S_ISLNK(st.st_mode):
        raise UntrustedFileError(path, "the file is a symbolic link", f"the file itself: {EXPECTED}")
    try:
        data = read_limited(path, limits.max_file_bytes)
    except FileRefused as exc:
        raise UntrustedFileError(path, exc.reason, f"{EXPECTED} of at most {size_text(limits.max_file_bytes)}") from None
    except OSError as exc:
        raise UntrustedFileError(path, f"the file cannot be read ({exc.strerror or exc})", EXPECTED) from None
    if not data:
        raise UntrustedFileError(path, "file is empty", EXPECTED)
    return data
