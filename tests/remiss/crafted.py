"""Hostile files, built byte by byte, for the untrusted-input tests.

`raw_zip` writes local headers and the central directory itself, so a test can
make an archive lie in ways `zipfile` refuses to write (sizes that disagree with
the data, NUL bytes in names, members sharing bytes, encrypted flags).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CT_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CT_DOCM = "application/vnd.ms-word.document.macroEnabled.main+xml"
CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
).encode()


def content_types(main: str = CT_DOCX, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/>{extra}</Types>'
    ).encode()


def document_xml(text: str = "Kommunen har inga synpunkter.", prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        f'<w:document xmlns:w="{W_MAIN}"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
        "</w:body></w:document>"
    ).encode()


XXE_PASSWD = document_xml(
    "&xxe;", prolog='<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
)

XXE_PARAMETER = document_xml(
    "x", prolog='<!DOCTYPE w:document [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>\n'
)

BILLION_LAUGHS = document_xml(
    "&lol9;",
    prolog="<!DOCTYPE w:document [\n"
    '<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + "]>\n",
)


@dataclass
class Member:
    """One archive member as it will be written; every field may lie."""

    name: bytes
    data: bytes = b""
    deflate: bool = True
    declared_size: int | None = None  # uncompressed size written in both headers
    flags: int = 0x800  # UTF-8 names
    shares_with: int | None = None  # index of an earlier member whose local header this one reuses
    external_attr: int = 0o100644 << 16

    @classmethod
    def of(cls, name: str, data: bytes, **kw: object) -> Member:
        return cls(name.encode("utf-8"), data, **kw)  # type: ignore[arg-type]


def raw_zip(members: list[Member]) -> bytes:
    """A zip archive written by hand: local headers, data, central directory, end record."""
    body, central, offsets = bytearray(), bytearray(), []
    for m in members:
        payload = _deflate(m.data) if m.deflate else m.data
        method = 8 if m.deflate else 0
        crc = zlib.crc32(m.data) & 0xFFFFFFFF
        size = len(m.data) if m.declared_size is None else m.declared_size
        if m.shares_with is None:
            offset = len(body)
            body += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, m.flags, method, 0, 0x21,
                                crc, len(payload), size, len(m.name), 0)
            body += m.name + payload
        else:
            offset = offsets[m.shares_with]
        offsets.append(offset)
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", (3 << 8) | 20, 20, m.flags, method, 0, 0x21,
                               crc, len(payload), size, len(m.name), 0, 0, 0, 0, m.external_attr, offset)
        central += m.name
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(body), 0)
    return bytes(body + central + end)


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def docx_members(document: bytes | None = None, main: str = CT_DOCX, extra_ct: str = "") -> list[Member]:
    """The three parts of a minimal WordprocessingML package."""
    return [
        Member.of("[Content_Types].xml", content_types(main, extra_ct)),
        Member.of("_rels/.rels", RELS),
        Member.of("word/document.xml", document if document is not None else document_xml()),
    ]


def ole2(*streams: str) -> bytes:
    """The start of an OLE2 compound file whose directory names `streams` (UTF-16LE, as on disk)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HH", 0x3E, 3) + b"\xfe\xff"
    header += b"\x09\x00" + b"\x00" * (512 - len(header) - 2)
    directory = b"".join(s.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64 for s in ("Root Entry", *streams))
    return header + directory


WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" + \
    b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
