"""The fake Bot API over HTTP on 127.0.0.1, with long-polled getUpdates and optional latency."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.botapi import FakeBotApi


class FakeBotApiServer:
    def __init__(self, api: FakeBotApi | None = None, latency: float = 0.0) -> None:
        self.api = api or FakeBotApi()
        self.latency = latency
        self.pending: list[dict[str, Any]] = []
        self._new = asyncio.Event()
        self._next_update_id = 1
        self.tokens_seen: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.delivered_up_to = 0
        self._tick = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait (event-driven, no polling sleeps) until `predicate()` holds after some request."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._tick.clear()
                await self._tick.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = dict(update)
        update["update_id"] = self._next_update_id
        self._next_update_id += 1
        self.pending.append(update)
        self._new.set()
        return update["update_id"]

    async def _params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        ctype = request.content_type
        files: dict[str, tuple[str, bytes]] = {}
        if ctype == "application/json":
            body = await request.read()
            return (json.loads(body) if body else {}), files
        if ctype.startswith("multipart/"):
            params: dict[str, Any] = {}
            reader = await request.multipart()
            async for part in reader:
                data = await part.read()
                if part.filename:
                    files[part.name] = (part.filename, bytes(data))
                else:
                    params[part.name] = data.decode()
            return params, files
        return dict(await request.post()), files

    async def _get_updates(self, params: dict[str, Any]) -> dict[str, Any]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            self.delivered_up_to = max(self.delivered_up_to, offset - 1)
        if not self.pending and timeout:
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), min(timeout, 2.0))
            except TimeoutError:
                pass
        return {"ok": True, "result": self.pending[:limit]}

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        self.tokens_seen.add(token)
        params, files = await self._params(request)
        if method == "getUpdates":
            return web.json_response(await self._get_updates(params))
        if self.latency:
            await asyncio.sleep(self.latency)
        status, body = self.api.handle(method, params, files)
        self._tick.set()
        return web.json_response(body, status=status)

    async def start(self, port: int = 0) -> FakeBotApiServer:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
