"""The one zip writer: the same entries give the same bytes, dated `when`, in the order given."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from avtal.archive import zip_bytes

WHEN = dt.datetime(2025, 1, 30, 12, 34, 56, tzinfo=dt.timezone.utc)
ENTRIES = [("word/document.xml", b"<w:document/>" * 200), ("[Content_Types].xml", b"<Types/>"),
           ("Svarsformul\u00e4r.docx", b"PK\x03\x04 already compressed")]


def test_members_keep_their_order_date_permissions_and_unix_creator():
    with zipfile.ZipFile(io.BytesIO(zip_bytes(ENTRIES, WHEN))) as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == [name for name, _ in ENTRIES]  # not sorted
        assert {i.date_time for i in infos} == {(2025, 1, 30, 12, 34, 56)}
        assert {i.external_attr for i in infos} == {0o644 << 16}  # rw-r--r--
        assert {i.create_system for i in infos} == {3}
        assert [z.read(name) for name, _ in ENTRIES] == [data for _, data in ENTRIES]


def test_members_are_deflated_unless_stored_says_otherwise():
    data = zip_bytes(ENTRIES, WHEN, stored=lambda name: name.endswith(".docx"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        kinds = {i.filename: i.compress_type for i in z.infolist()}
    assert kinds == {"word/document.xml": zipfile.ZIP_DEFLATED, "[Content_Types].xml": zipfile.ZIP_DEFLATED,
                     "Svarsformul\u00e4r.docx": zipfile.ZIP_STORED}
    assert b"PK\x03\x04 already compressed" in data  # stored: its bytes stand in the archive as they are


def test_the_same_entries_give_the_same_bytes_and_another_date_other_bytes():
    first = zip_bytes(iter(ENTRIES), WHEN)
    assert zip_bytes(list(ENTRIES), WHEN) == first
    assert zip_bytes(ENTRIES, WHEN + dt.timedelta(days=1)) != first
