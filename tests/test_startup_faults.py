"""`safermk-bot run` against a Bot API that refuses it: one redacted line, non-zero exit.

Each test starts the real bot as a subprocess (`python -m bot run`) against a tiny server on
127.0.0.1 that answers every request the same way (401, 404, garbage bytes), or against a port
nobody listens on. The token is real-shaped, so the redaction cannot rely on a test-only shape.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Built at run time so no token-shaped literal sits in the source.
TOKEN = "1234567890:" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhI"
SECRET = "s" * 40


def _http(status: str, body: bytes, ctype: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


ANSWERS = {
    "401": _http("401 Unauthorized", b'{"ok":false,"error_code":401,"description":"Unauthorized"}'),
    "404": _http("404 Not Found", b"<html><body>404 Not Found</body></html>", "text/html"),
    "getMe": _http(
        "200 OK",
        b'{"ok":true,"result":{"id":1234567890,"is_bot":true,"first_name":"SaferMK",'
        b'"username":"SaferMKBot"}}',
    ),
    "garbage": b"\x00\x01 this is not HTTP at all \xff\xfe\r\n\r\n",
}


class _OneAnswer(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = b""
        self.request.settimeout(5)
        try:
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                data += chunk
            self.server.requests.append(data.split(b"\r\n", 1)[0])  # type: ignore[attr-defined]
            answers = self.server.answers  # type: ignore[attr-defined]
            self.request.sendall(answers.pop(0) if len(answers) > 1 else answers[0])
        except OSError:
            return


@contextmanager
def bot_api(*answers: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """A server in a thread giving the answers in turn, then the last one again; stopped on exit."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _OneAnswer)
    server.daemon_threads = True
    server.answers = list(answers)  # type: ignore[attr-defined]
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def closed_port() -> int:
    """A loopback port that was just free: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_bot(tmp_path: Path, api_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    config.write_text(
        f'storage:\n  path: "{tmp_path / "bot.sqlite3"}"\n'
        f'content:\n  dir: "{ROOT / "content"}"\n'
        f'survey:\n  secret: "{SECRET}"\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config), *extra],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_clean_line(proc: subprocess.CompletedProcess[str], *expected: str) -> str:
    out = proc.stdout + proc.stderr
    assert proc.returncode not in (0, None), out
    assert TOKEN not in out and TOKEN.split(":")[1] not in out, out
    assert "1234567890" not in out, out
    assert "Traceback" not in out, out
    assert len(proc.stderr.strip().splitlines()) <= 3, out
    for text in expected:
        assert text in proc.stderr, out
    return proc.stderr


@pytest.mark.parametrize("verbose", [(), ("-v",)])
def test_token_refused_401(tmp_path: Path, verbose: tuple[str, ...]):
    with bot_api(ANSWERS["401"]) as (url, requests):
        proc = run_bot(tmp_path, url, *verbose)
    assert requests, "the bot did ask the server"
    assert_one_clean_line(proc, "Telegram refused the bot token (401", "TELEGRAM_BOT_TOKEN")


def test_wrong_api_url_path_404(tmp_path: Path):
    with bot_api(ANSWERS["404"]) as (url, _):
        proc = run_bot(tmp_path, url + "/wrong/path")
    assert_one_clean_line(proc, f"The Bot API at {url}/wrong/path answered 404", "telegram.api_url")


def test_server_answers_garbage(tmp_path: Path):
    with bot_api(ANSWERS["garbage"]) as (url, _):
        proc = run_bot(tmp_path, url)
    assert_one_clean_line(proc, f"Could not reach the Bot API at {url}: the answer was not HTTP")


def test_nothing_listening(tmp_path: Path):
    url = f"http://127.0.0.1:{closed_port()}"
    proc = run_bot(tmp_path, url)
    assert_one_clean_line(proc, f"Could not reach the Bot API at {url}: Connection refused")


def test_token_revoked_after_the_start_up_check(tmp_path: Path):
    """The check passes, then python-telegram-bot's own getMe is refused: still one clean line."""
    with bot_api(ANSWERS["getMe"], ANSWERS["401"]) as (url, requests):
        proc = run_bot(tmp_path, url)
    assert len(requests) >= 2
    out = proc.stdout + proc.stderr
    assert proc.returncode not in (0, None), out
    assert TOKEN not in out and TOKEN.split(":")[1] not in out, out
    assert "Telegram refused the bot token" in proc.stderr.splitlines()[-1], out


# ---------------------------------------------------------------- the last-resort hooks


@pytest.fixture
def hooks_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test install the hooks; monkeypatch puts Python's own back afterwards."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)


def _raise_with_token() -> None:
    url = f"http://127.0.0.1:9/bot{TOKEN}/getMe"
    raise RuntimeError(f"failed: {url} (configured: my-configured-secret)")


def test_uncaught_exceptions_are_printed_redacted(hooks_restored: None):
    from bot.plumbing.logsetup import install_excepthooks

    out = io.StringIO()
    install_excepthooks(("my-configured-secret",), stream=out)
    try:
        _raise_with_token()
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    worker = threading.Thread(target=_raise_with_token, name="worker")
    worker.start()
    worker.join()
    text = out.getvalue()
    assert "RuntimeError" in text and "Uncaught error in worker" in text
    assert text.count("[REDACTED-TOKEN]") >= 4
    assert TOKEN.split(":")[1] not in text and "my-configured-secret" not in text


async def test_event_loop_errors_are_logged_redacted():
    from bot.plumbing.logsetup import loop_exception_handler, setup_logging

    stream = io.StringIO()
    setup_logging(logging.INFO, stream=stream)
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(loop_exception_handler(("my-configured-secret",)))
    try:
        try:
            _raise_with_token()
        except RuntimeError as exc:
            loop.call_exception_handler(
                {"message": "Task exception was never retrieved", "exception": exc}
            )
    finally:
        loop.set_exception_handler(previous)
        setup_logging(logging.WARNING)
    text = stream.getvalue()
    assert "Task exception was never retrieved" in text and "RuntimeError" in text
    assert TOKEN.split(":")[1] not in text and "my-configured-secret" not in text


# ---------------------------------------------------------------- fatal while running (issue 20)


class _ByMethod(socketserver.BaseRequestHandler):
    """getMe answered as Telegram would, getUpdates with the test's answer, anything else ok."""

    def handle(self) -> None:
        data = b""
        self.request.settimeout(5)
        try:
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                data += chunk
            line = data.split(b"\r\n", 1)[0]
            self.server.requests.append(line)  # type: ignore[attr-defined]
            if b"/getMe " in line:
                answer = ANSWERS["getMe"]
            elif b"/getUpdates " in line:
                answer = self.server.updates  # type: ignore[attr-defined]
            else:
                answer = _http("200 OK", b'{"ok":true,"result":true}')
            self.request.sendall(answer)
        except OSError:
            return


@pytest.mark.parametrize(
    ("updates", "expected", "code"),
    [
        (ANSWERS["401"], "Telegram refused the bot token (401 Unauthorized)", 2),
        (_http("200 OK", b'{"ok":true,"result":{"not":"a list"}}'), "without a list of updates", 1),
    ],
)
def test_a_fatal_answer_while_running_stops_the_bot_with_one_line(
    tmp_path: Path, updates: bytes, expected: str, code: int
):
    """Start-up passes, then getUpdates is refused or answered with nonsense: the process closes
    everything and exits non-zero with one line (it used to poll for ever, or hang on SIGTERM)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _ByMethod)
    server.daemon_threads = True
    server.updates = updates  # type: ignore[attr-defined]
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proc = run_bot(tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    out = proc.stdout + proc.stderr
    assert proc.returncode == code, out
    assert expected in proc.stderr.strip().splitlines()[-1], out
    assert TOKEN not in out and "Traceback" not in out, out
    polls = [r for r in server.requests if b"/getUpdates " in r]  # type: ignore[attr-defined]
    assert len(polls) == 1, "asked once, then stopped: no retry loop"
