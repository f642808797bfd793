"""Backups of the database (and the secret files beside it), and restoring one (issue 20).

A backup is a folder `safermk-YYYYmmdd-HHMMSS/` (0700) holding a copy of the database made with
SQLite's online backup API (consistent while the bot keeps writing: one read transaction), the
secret files given to it, and `manifest.json` with the schema version, the time, the bot's
version and each file's sha256. The copy passes `PRAGMA integrity_check` or the backup fails.
Every file is 0600: the copy holds residents' data and the survey secret turns pseudonyms back
into chat ids.

A restore takes the instance lock (storage/lock.py: refused while the bot runs), checks the
manifest (every hash, a schema no newer than this code's migrations, the copy's integrity),
sets the current files aside as `<name>.replaced-YYYYmmdd-HHMMSS` (the database checkpointed
first so it stands alone; a -wal or -shm left over is set aside too) and copies the backup in.

Each step is reported through `say` as one line; any problem raises BackupError (one line).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.lock import InstanceLock
from storage.migrations import migration_files

MANIFEST = "manifest.json"
FORMAT = 1
PREFIX = "safermk-"
Say = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore cannot go on; str() is one line for the operator."""


@dataclass(frozen=True)
class Made:
    folder: Path
    schema_version: int
    files: tuple[str, ...]


def code_schema_version() -> int:
    """The newest migration this code knows."""
    return max((v for v, _, _ in migration_files()), default=0)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M%S")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_private(src: Path, dst: Path) -> None:
    """Copy a file into a new 0600 file (never a moment readable by others), synced."""
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
        shutil.copyfileobj(inp, out)
        out.flush()
        os.fsync(out.fileno())


def _schema_of(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0)


def _integrity(conn: sqlite3.Connection) -> str | None:
    """None if `PRAGMA integrity_check` says ok, else its first complaint."""
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return None if [tuple(r) for r in rows] == [("ok",)] else str(rows[0][0])


def _copy_database(db_path: Path, target: Path) -> int:
    """The online backup of `db_path` into `target` (0600, one self-contained file); the copy's
    schema version. BackupError if it cannot be read or the copy is not intact."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the database {db_path}: {exc}") from None
    try:
        dst = sqlite3.connect(target)
        try:
            # All pages in one step: one read transaction, so a consistent copy however much
            # the bot writes meanwhile (its writes go to the -wal, which this reader ignores).
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # no -wal beside the copy
            problem = _integrity(dst)
            version = _schema_of(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the database {db_path}: {exc}") from None
    finally:
        src.close()
    if problem is not None:
        raise BackupError(f"the copy of {db_path} failed its integrity check: {problem}")
    _fsync(target)
    return version


def make_backup(
    db_path: Path,
    dest: Path,
    *,
    files: Sequence[Path] = (),
    notes: Sequence[str] = (),
    version: str,
    now: datetime,
    say: Say,
) -> Made:
    """Back up into a new folder under `dest` (which must exist); BackupError on any problem,
    with a folder that got as far as an unusable copy renamed `<folder>.failed`."""
    if not dest.is_dir():
        raise BackupError(f"{dest}: no such folder (create it first, e.g. mkdir -m 700 {dest})")
    if not db_path.is_file():
        raise BackupError(f"{db_path}: no database to back up")
    folder = dest / f"{PREFIX}{_stamp(now)}"
    try:
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)  # mkdir's mode is masked by the umask
    except FileExistsError:
        raise BackupError(f"{folder}: already exists (one backup a second at most)") from None
    except OSError as exc:
        raise BackupError(f"{dest}: cannot create a folder in it ({exc.strerror})") from None
    try:
        return _fill(folder, db_path, files, notes, version, now, say)
    except BackupError:
        folder.rename(folder.with_name(folder.name + ".failed"))
        raise
    except OSError as exc:
        folder.rename(folder.with_name(folder.name + ".failed"))
        raise BackupError(f"{folder}: cannot write the backup ({exc.strerror or exc})") from None


def _fill(
    folder: Path,
    db_path: Path,
    files: Sequence[Path],
    notes: Sequence[str],
    version: str,
    now: datetime,
    say: Say,
) -> Made:
    schema = _copy_database(db_path, folder / db_path.name)
    say(f"database copied and checked: {folder / db_path.name} (schema {schema}, integrity ok)")
    names = [db_path.name]
    for path in files:
        if path.name in names or path.name == MANIFEST:
            raise BackupError(f"{path}: two files of the backup would share the name")
        try:
            _copy_private(path, folder / path.name)
        except OSError as exc:
            raise BackupError(f"{path}: cannot copy it ({exc.strerror or exc})") from None
        names.append(path.name)
        say(f"copied {path.name}")
    for note in notes:
        say(note)
    manifest = {
        "format": FORMAT,
        "created": now.isoformat(timespec="seconds"),
        "bot_version": version,
        "schema_version": schema,
        "database": db_path.name,
        "files": {n: sha256_of(folder / n) for n in names},
        "notes": list(notes),
    }
    fd = os.open(folder / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(manifest, out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    _fsync(folder)
    say(f"manifest written: {folder / MANIFEST}")
    return Made(folder, schema, tuple(names))


# ---------------------------------------------------------------- restore


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest, checked: its shape, every file's hash, a schema this code knows."""
    if not folder.is_dir():
        raise BackupError(f"{folder}: no such backup folder")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder}: no {MANIFEST} (not a finished backup)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"{folder / MANIFEST}: unreadable ({exc.__class__.__name__})") from None
    if not isinstance(manifest, dict):
        manifest = {}
    files, db_name = manifest.get("files"), manifest.get("database")
    schema = manifest.get("schema_version")
    if (
        manifest.get("format") != FORMAT
        or not isinstance(files, dict)
        or not isinstance(schema, int)
        or db_name not in files
        or any(Path(n).name != n or n in ("", ".", "..") for n in files)
    ):
        raise BackupError(f"{folder / MANIFEST}: not a manifest this version understands")
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{path}: missing from the backup")
        if sha256_of(path) != digest:
            raise BackupError(
                f"{path}: its sha256 does not match the manifest (changed or damaged)"
            )
    if schema > code_schema_version():
        raise BackupError(
            f"{folder}: made by a newer version (schema {schema}; this one knows up to "
            f"{code_schema_version()}): restore it with that version"
        )
    return manifest


def _set_aside(path: Path, stamp: str, say: Say) -> None:
    if path.exists():
        aside = path.with_name(f"{path.name}.replaced-{stamp}")
        path.rename(aside)
        say(f"kept the replaced {path.name} as {aside}")


def _retire_database(db_path: Path, stamp: str, say: Say) -> None:
    """Set the current database aside, checkpointed first so the file stands alone."""
    wal = db_path.with_name(db_path.name + "-wal")
    if db_path.exists() and wal.exists():
        try:
            conn = sqlite3.connect(db_path)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()  # the last connection: SQLite removes -wal and -shm
        except sqlite3.Error as exc:  # a damaged file (maybe why we restore): keep all of it
            say(f"could not checkpoint the replaced database ({exc}); its -wal is kept too")
    for suffix in ("", "-wal", "-shm"):
        _set_aside(db_path.with_name(db_path.name + suffix), stamp, say)


def _check_copy(path: Path, schema: int) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problem, actual = _integrity(conn), _schema_of(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: not a readable SQLite database ({exc})") from None
    if problem is not None:
        raise BackupError(f"{path}: fails its integrity check: {problem}")
    if actual != schema:
        raise BackupError(f"{path}: schema {actual}, but the manifest says {schema}")


def restore_backup(
    folder: Path, db_path: Path, *, targets: Mapping[str, Path], now: datetime, say: Say
) -> dict[str, Any]:
    """Put the backup in `folder` in place of `db_path` and of the files in `targets` (the
    backup's file name -> where it goes); its manifest. AlreadyRunning while the bot runs."""
    with InstanceLock(db_path, command="safermk-bot restore"):
        manifest = read_manifest(folder)
        say(
            f"manifest checked: {len(manifest['files'])} file(s), schema "
            f"{manifest['schema_version']}, made {manifest.get('created')}"
        )
        _check_copy(folder / manifest["database"], manifest["schema_version"])
        say("database copy checked: integrity ok")
        places = {manifest["database"]: db_path}
        for name in manifest["files"]:
            if name != manifest["database"]:
                if name not in targets:
                    raise BackupError(f"{folder / name}: this version does not know that file")
                places[name] = targets[name]
        stamp = _stamp(now)
        try:
            _retire_database(db_path, stamp, say)
            for name, place in places.items():
                place.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                if name != manifest["database"]:
                    _set_aside(place, stamp, say)
                # Copied beside the target, then renamed: a crash leaves the old name empty
                # (the replaced file is kept aside) or the whole file, never half of it.
                partial = place.with_name(f".{place.name}.restoring")
                partial.unlink(missing_ok=True)
                _copy_private(folder / name, partial)
                if sha256_of(partial) != manifest["files"][name]:
                    partial.unlink()
                    raise BackupError(f"{place}: the copy differs from the backup (disk trouble?)")
                partial.replace(place)
                say(f"restored {name} to {place}")
        except OSError as exc:
            raise BackupError(f"cannot put the backup in place: {exc.strerror or exc}") from None
        return manifest
