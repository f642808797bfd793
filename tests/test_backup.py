"""Backup and restore (issue 20): a backup taken mid-broadcast restores into a bot that finishes
the broadcast with nothing lost and nothing recorded as sent sent again; restore refuses while
the bot runs, a changed backup, a newer schema; a copy failing its integrity check fails the
backup; every file is private; the CLI prints a line per step and one line on any problem."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import Content
from storage.backup import BackupError, Made, code_schema_version, make_backup, restore_backup
from storage.db import Database
from storage.lock import AlreadyRunning, InstanceLock
from tests.conftest import ROOT, close_harness
from tests.fakes.botapi import FakeBotApi
from tests.test_delivery import add_residents, broadcast_sends, harness, officer_broadcast, outbox

NOW = datetime(2026, 12, 7, 2, 30, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 8, 9, 0, 0, tzinfo=UTC)
SECRET = "s" * 43


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def backup(db: Path, dest: Path, files: tuple[Path, ...] = ()) -> tuple[Made, list[str]]:
    lines: list[str] = []
    made = make_backup(db, dest, files=files, version="test", now=NOW, say=lines.append)
    return made, lines


def restore(folder: Path, db: Path, now: datetime = LATER) -> list[str]:
    lines: list[str] = []
    targets = {"survey-secret": db.parent / "survey-secret"}
    restore_backup(folder, db, targets=targets, now=now, say=lines.append)
    return lines


async def test_a_backup_mid_broadcast_restores_and_resumes_without_loss_or_resend(
    tmp_path: Path, content: Content
):
    api = FakeBotApi()
    live_dir = tmp_path / "live"
    live_dir.mkdir()
    h = await harness(live_dir, content, api=api)
    chats = await add_residents(h, range(1000, 1040))
    bid = await officer_broadcast(h)
    dest = tmp_path / "backups"
    dest.mkdir()
    made: list[Made] = []
    requested: set[int] = set()  # chats whose message had reached the double at backup time

    def back_up_midway(method: str, params: dict) -> None:
        # Inside a send: that row is claimed ('sending'), earlier ones are recorded 'sent'.
        if method == "sendMessage" and len(api.sent("sendMessage")) == 15:
            requested.update(broadcast_sends(h))
            made.append(backup(h.db.path, dest)[0])

    api.responder = back_up_midway
    # The bot holds its instance lock; the backup does not need it.
    with InstanceLock(h.db.path):
        await h.services.delivery.run_due()
    assert sorted(broadcast_sends(h)) == chats
    await close_harness(h)

    (copy,) = made
    at_backup = _outbox_of(copy.folder / "bot.sqlite3", bid)
    sent = {c for c, s in at_backup.items() if s == "sent"}
    sending = {c for c, s in at_backup.items() if s == "sending"}
    pending = set(at_backup) - sent - sending
    # Mid-way: some recorded as sent, some in flight (the documented resend bound), some not
    # yet tried.
    assert sent and sending and pending, at_backup

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    restore(copy.folder, restored_dir / "bot.sqlite3")
    api2 = FakeBotApi()
    h2 = await harness(restored_dir, content, api=api2)
    try:
        await h2.services.delivery.run_due()
        again = broadcast_sends(h2)
        assert not sent & set(again), "a message recorded as sent was sent again"
        assert sorted(again) == sorted(set(chats) - sent), "each one not yet sent, once"
        # The resend bound (bot/delivery.py): rows 'sending' are claimed, and only those whose
        # request had gone out arrive twice, never more than the window.
        assert sent <= requested
        repeated = set(again) & requested
        assert repeated == sending & requested
        assert 0 < len(repeated) <= h.services.delivery.window
        rows = await outbox(h2, bid)
        assert {r["status"] for r in rows.values()} == {"sent"} and sorted(rows) == chats
        assert (await h2.services.broadcasts.get(bid)).status == "done"
    finally:
        await close_harness(h2)


def _outbox_of(path: Path, bid: int) -> dict[int, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT chat_id, status FROM outbox WHERE broadcast_id = ?", (bid,))
        return dict(rows.fetchall())
    finally:
        conn.close()


async def _database(path: Path) -> Path:
    db = await Database(path).open()
    try:
        await db.execute(
            "INSERT INTO residents (chat_id, created_at, updated_at) VALUES (42, 'x', 'x')"
        )
    finally:
        await db.close()
    return path


async def test_a_backup_is_private_and_its_manifest_names_every_file(tmp_path: Path):
    db = await _database(tmp_path / "data" / "bot.sqlite3")
    secret = db.parent / "survey-secret"
    secret.write_text(SECRET + "\n")
    dest = tmp_path / "b"
    dest.mkdir()
    made, lines = backup(db, dest, (secret,))
    assert made.folder.name == "safermk-20261207-023000"
    assert _mode(made.folder) == 0o700
    assert sorted(p.name for p in made.folder.iterdir()) == [
        "bot.sqlite3",
        "manifest.json",
        "survey-secret",
    ]
    assert all(_mode(p) == 0o600 for p in made.folder.iterdir())
    manifest = json.loads((made.folder / "manifest.json").read_text())
    assert manifest["schema_version"] == code_schema_version()
    assert manifest["bot_version"] == "test" and manifest["created"] == NOW.isoformat()
    assert set(manifest["files"]) == {"bot.sqlite3", "survey-secret"}
    assert len(lines) == 3 and "integrity ok" in lines[0]
    assert not (made.folder / "bot.sqlite3-wal").exists(), "the copy is one file"


async def test_restore_sets_the_replaced_files_aside(tmp_path: Path):
    db = await _database(tmp_path / "bot.sqlite3")
    (tmp_path / "survey-secret").write_text(SECRET)
    dest = tmp_path / "b"
    dest.mkdir()
    made, _ = backup(db, dest, (tmp_path / "survey-secret",))
    # Since the backup: a new resident and a new secret (in the -wal of an open database).
    live = await Database(db).open()
    await live.execute(
        "INSERT INTO residents (chat_id, created_at, updated_at) VALUES (7, 'x', 'x')"
    )
    (tmp_path / "survey-secret").write_text("n" * 43)
    await live.close()
    lines = restore(made.folder, db)
    stamp = "replaced-20261208-090000"
    aside = tmp_path / f"bot.sqlite3.{stamp}"
    assert _ids(aside) == [7, 42], "the replaced database is kept whole"
    assert (tmp_path / f"survey-secret.{stamp}").read_text() == "n" * 43
    assert _ids(db) == [42], "the backup's database is in place"
    assert (tmp_path / "survey-secret").read_text() == SECRET
    assert _mode(db) == 0o600 and _mode(tmp_path / "survey-secret") == 0o600
    assert any("kept the replaced bot.sqlite3" in line for line in lines)


def _ids(path: Path) -> list[int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT chat_id FROM residents ORDER BY 1")]
    finally:
        conn.close()


async def test_restore_is_refused_while_the_bot_runs(tmp_path: Path):
    db = await _database(tmp_path / "bot.sqlite3")
    dest = tmp_path / "b"
    dest.mkdir()
    made, _ = backup(db, dest)
    with InstanceLock(db, command="safermk-bot run"):
        with pytest.raises(AlreadyRunning, match=f"in use by pid {os.getpid()}"):
            restore(made.folder, db)
    assert not list(tmp_path.glob("*.replaced-*"))


async def test_restore_refuses_a_changed_backup_and_touches_nothing(tmp_path: Path):
    db = await _database(tmp_path / "bot.sqlite3")
    dest = tmp_path / "b"
    dest.mkdir()
    made, _ = backup(db, dest)
    copy = made.folder / "bot.sqlite3"
    data = bytearray(copy.read_bytes())
    data[-1] ^= 1
    copy.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="sha256 does not match the manifest"):
        restore(made.folder, db)
    assert not list(tmp_path.glob("*.replaced-*")) and _ids(db) == [42]


async def test_restore_refuses_a_backup_from_a_newer_schema(tmp_path: Path):
    db = await _database(tmp_path / "bot.sqlite3")
    dest = tmp_path / "b"
    dest.mkdir()
    made, _ = backup(db, dest)
    manifest = made.folder / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = code_schema_version() + 1
    manifest.write_text(json.dumps(data))
    with pytest.raises(BackupError, match="made by a newer version"):
        restore(made.folder, db)


def _corrupt_an_index(path: Path) -> None:
    """A database that opens but whose index disagrees with its table."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("CREATE INDEX t_v ON t (v)")
    conn.executemany("INSERT INTO t VALUES (?)", [("aaaa",), ("bbbb",), ("cccc",)])
    conn.commit()
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 't_v'").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    page = data[(root - 1) * size : root * size]
    at = (root - 1) * size + page.index(b"bbbb")
    data[at : at + 4] = b"zzzz"
    path.write_bytes(bytes(data))


def test_a_copy_failing_its_integrity_check_fails_the_backup(tmp_path: Path):
    db = tmp_path / "bot.sqlite3"
    _corrupt_an_index(db)
    dest = tmp_path / "b"
    dest.mkdir()
    with pytest.raises(BackupError, match="failed its integrity check") as err:
        backup(db, dest)
    assert "\n" not in str(err.value)
    (failed,) = dest.iterdir()
    assert failed.name.endswith(".failed") and not (failed / "manifest.json").exists()


# ---------------------------------------------------------------- the commands


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    config.write_text(
        f'storage:\n  path: "{tmp_path / "data" / "bot.sqlite3"}"\n'
        f'content:\n  dir: "{ROOT / "content"}"\n',
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(proc: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and text in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


async def test_the_commands_back_up_and_restore_with_a_line_per_step(tmp_path: Path):
    db = await _database(tmp_path / "data" / "bot.sqlite3")
    (db.parent / "survey-secret").write_text(SECRET)
    (db.parent / "webhook-secret").write_text("w" * 40)
    dest = tmp_path / "backups"
    dest.mkdir()
    done = _cli(tmp_path, "backup", str(dest))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    out = done.stdout.splitlines()
    assert "integrity ok" in out[0] and out[-1].startswith("backup done: ")
    assert "copied survey-secret" in out and "copied webhook-secret" in out
    folder = Path(out[-1].removeprefix("backup done: "))
    assert sorted(p.name for p in folder.iterdir()) == [
        "bot.sqlite3",
        "manifest.json",
        "survey-secret",
        "webhook-secret",
    ]
    (db.parent / "webhook-secret").write_text("changed" * 6)
    back = _cli(tmp_path, "restore", str(folder))
    assert back.returncode == 0 and back.stderr == "", back.stderr
    assert back.stdout.splitlines()[-1].endswith("; start the bot")
    assert (db.parent / "webhook-secret").read_text() == "w" * 40
    assert len(list(db.parent.glob("*.replaced-*"))) == 3  # database, both secrets


def test_the_commands_refuse_with_one_line(tmp_path: Path):
    _one_line(_cli(tmp_path, "backup", str(tmp_path / "nowhere")), 2, "nowhere: no such folder")
    _one_line(_cli(tmp_path, "restore", str(tmp_path / "nowhere")), 2, "no such backup folder")
    (tmp_path / "b").mkdir()
    _one_line(_cli(tmp_path, "backup", str(tmp_path / "b")), 1, "no database to back up")
    _one_line(_cli(tmp_path, "restore", str(tmp_path / "b")), 1, "no manifest.json")


async def test_restore_command_refused_while_the_bot_runs(tmp_path: Path):
    db = await _database(tmp_path / "data" / "bot.sqlite3")
    dest = tmp_path / "b"
    dest.mkdir()
    made, _ = backup(db, dest)
    with InstanceLock(db, command="safermk-bot run"):
        proc = _cli(tmp_path, "restore", str(made.folder))
    _one_line(proc, 1, f"restore refused: the database {db} is in use by pid {os.getpid()}")
