"""An HTTP CONNECT proxy on 127.0.0.1 for the transport's proxy tests: it opens the tunnel asked
for (to 127.0.0.1, whatever host name was given), pipes bytes both ways, and misbehaves on
demand (`mode`): "ok", "refuse" (403), "garbage" (not HTTP), "close" (hangs up without an
answer), "early" (200 and then bytes before the client spoke). With `credential` set it answers
407 to a CONNECT without that Basic credential, as a council's authenticating proxy would."""

from __future__ import annotations

import asyncio
import base64
import contextlib


class ConnectProxy:
    def __init__(self, credential: str | None = None, mode: str = "ok") -> None:
        self.credential = credential
        self.mode = mode
        self.targets: list[str] = []  # what each CONNECT asked for
        self.credentials: list[str | None] = []  # the user:password each one carried
        self.tunnels = 0  # opened
        self.open = 0  # still open
        self.server: asyncio.Server | None = None
        self.port = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> ConnectProxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self, user: str | None = None) -> str:
        return f"http://{user + '@' if user else ''}127.0.0.1:{self.port}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._tunnel(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, target, _ = head[0].split(" ", 2)
        assert method == "CONNECT", head[0]
        given = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "proxy-authorization":
                scheme, _, token = value.strip().partition(" ")
                assert scheme == "Basic"
                given = base64.b64decode(token).decode()
        self.targets.append(target)
        self.credentials.append(given)
        if self.mode == "close":
            return
        if self.mode == "garbage":
            writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
            await writer.drain()
            return
        if self.mode == "refuse":
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        if self.credential is not None and given != self.credential:
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="council"\r\nContent-Length: 0\r\n\r\n'
            )
            await writer.drain()
            return
        port = int(target.rsplit(":", 1)[1])
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if self.mode == "early":
            writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
        await writer.drain()
        self.tunnels += 1
        self.open += 1
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self.open -= 1
            up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof()
