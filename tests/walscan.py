"""A forensic look at an SQLite database in WAL mode, for the erasure tests (issue 20).

`Snapshot.take` copies the main file and its -wal while the database is open (closing the last
connection would checkpoint and delete the -wal, hiding what a copy of the disk would show).
`reconstructions` replays the WAL frame by frame (format: sqlite.org/fileformat2.html#walformat:
a 32-byte header, then frames of a 24-byte header and one page; a frame whose second header
field, the database size after commit, is non-zero ends a transaction) and yields the database
as of every commit it holds, the older generations left behind the current one included.
`Finding` lists every place a value was seen: in a row of a reconstruction, in the raw bytes of
the files (free pages and freed cells included), as text or as SQLite's integer encodings.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WAL_MAGIC = (0x377F0682, 0x377F0683)
WAL_HEADER = 32
FRAME_HEADER = 24


@dataclass(frozen=True)
class Frame:
    page_no: int
    commit_size: int  # pages in the database after this commit; 0 inside a transaction
    salts: tuple[int, int]
    page: bytes


@dataclass(frozen=True)
class Snapshot:
    main: bytes
    wal: bytes

    @classmethod
    def take(cls, db_path: Path) -> Snapshot:
        wal = db_path.with_name(db_path.name + "-wal")
        return cls(db_path.read_bytes(), wal.read_bytes() if wal.exists() else b"")


def frames(wal: bytes) -> tuple[int, list[Frame]]:
    """The page size and every whole frame in the file, valid or left from an older run."""
    if len(wal) < WAL_HEADER:
        return 0, []
    magic, _version, page_size = struct.unpack(">III", wal[:12])
    assert magic in WAL_MAGIC, "not a WAL file"
    out: list[Frame] = []
    offset = WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(wal):
        page_no, commit, s1, s2 = struct.unpack(">IIII", wal[offset : offset + 16])
        body = wal[offset + FRAME_HEADER : offset + FRAME_HEADER + page_size]
        out.append(Frame(page_no, commit, (s1, s2), body))
        offset += FRAME_HEADER + page_size
    return page_size, out


def reconstructions(snap: Snapshot) -> Iterator[tuple[str, bytes]]:
    """(label, database bytes): the main file, then the database as of every commit in the WAL,
    each generation of frames (same salts) replayed on the main file in file order."""
    yield "main file", snap.main
    page_size, all_frames = frames(snap.wal)
    generations: dict[tuple[int, int], list[Frame]] = {}
    for f in all_frames:
        generations.setdefault(f.salts, []).append(f)
    for g, (salts, gen) in enumerate(generations.items()):
        pages: dict[int, bytes] = {}
        for i, f in enumerate(gen):
            pages[f.page_no] = f.page
            if f.commit_size:
                image = bytearray(snap.main[: f.commit_size * page_size])
                image.extend(b"\0" * (f.commit_size * page_size - len(image)))
                for no, body in pages.items():
                    if no <= f.commit_size:
                        image[(no - 1) * page_size : no * page_size] = body
                yield f"WAL generation {g} {salts}, commit at frame {i}", bytes(image)


def _int_encodings(value: int) -> list[bytes]:
    """How SQLite stores an integer: big-endian in the smallest of 1, 2, 3, 4, 6 or 8 bytes in a
    record, and as a varint when it is a rowid (in the cell header and in index records)."""
    out = []
    for size in (1, 2, 3, 4, 6, 8):
        if -(1 << (8 * size - 1)) <= value < (1 << (8 * size - 1)):
            out.append(value.to_bytes(size, "big", signed=True))
            break
    varint, v = [], value & 0xFFFFFFFFFFFFFFFF
    varint.append(v & 0x7F)
    v >>= 7
    while v:
        varint.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(bytes(reversed(varint)))
    return out


def needles(value: str | int) -> list[bytes]:
    if isinstance(value, int):
        return [str(value).encode(), *_int_encodings(value)]
    return [value.encode("utf-8")]


def _legacy(image: bytes) -> bytes:
    """The image marked as a rollback-journal database (header bytes 18-19), so sqlite3 reads
    it as it is rather than looking for a -wal beside the copy."""
    return image[:18] + b"\x01\x01" + image[20:] if len(image) >= 100 else image


class Opened:
    """A reconstruction written to a temporary file and opened read-only (close() it)."""

    def __init__(self, image: bytes) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="walscan-"))
        self.path = self.dir / "image.sqlite3"
        self.path.write_bytes(_legacy(image))
        self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def rows_with(self, value: str | int) -> list[str]:
        """'table: row' for every row holding the value in any column."""
        found = []
        tables = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        for (table,) in tables.fetchall():
            for row in self.conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - test
                if value in row or (isinstance(value, int) and str(value) in row):
                    found.append(f"{table}: {row!r}")
        return found

    def vacuumed(self) -> bytes:
        """The same rows in a freshly written file: what the live data alone puts on disk."""
        target = self.dir / "vacuumed.sqlite3"
        self.conn.execute("VACUUM INTO ?", (str(target),))
        return target.read_bytes()

    def close(self) -> None:
        self.conn.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def find_erased(snap: Snapshot, values: list[str | int]) -> list[str]:
    """Every trace of `values` (which must be gone entirely): rows in any reconstruction, and
    any encoding of them in the raw bytes of the main file or the -wal."""
    found = []
    for name, data in (("main file", snap.main), ("-wal", snap.wal)):
        for value in values:
            for needle in needles(value):
                if needle in data:
                    found.append(f"{name} bytes hold {value!r} as {needle!r}")
    for label, image in reconstructions(snap):
        opened = Opened(image)
        try:
            for value in values:
                found += [f"{label}: {r}" for r in opened.rows_with(value)]
        except sqlite3.DatabaseError as exc:
            if label == "main file":  # an older generation may be torn: its raw bytes count
                found.append(f"{label}: unreadable ({exc})")
        finally:
            opened.close()
    return found


def find_stale(snap: Snapshot, values: list[str], query: str, params: tuple[str, ...]) -> list[str]:
    """For data that may stay live (an anonymous answer, the completion note): every commit in
    which `query` returns a row (e.g. the answer joined to the pseudonym), and every image that
    holds a value more often than its live rows do (an old copy in a freed cell or page)."""
    found = []
    for label, image in reconstructions(snap):
        opened = Opened(image)
        try:
            try:
                rows = opened.conn.execute(query, params).fetchall()
            except sqlite3.OperationalError as exc:  # a commit before the tables were made
                assert "no such table" in str(exc), exc
                rows = []
            found += [f"{label}: {row!r}" for row in rows]
            clean = opened.vacuumed()
            for value in values:
                raw = image.count(value.encode())
                live = clean.count(value.encode())
                if raw > live:
                    found.append(f"{label}: {value!r} {raw} times in the bytes, {live} live")
        finally:
            opened.close()
    return found
