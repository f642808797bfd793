"""The two ways to reach the Bot API double: in-process and over HTTP.

`DoubleRequest` is a python-telegram-bot request layer answered by a `BotApiDouble` in the same
process (handler tests, the preview). `BotApiServer` serves the same double over HTTP on
127.0.0.1 at `{url}/bot{token}/{method}`, as `telegram.api_url` expects (end-to-end tests run
`safermk-bot run` against it; benchmarks too).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from telegram.request import BaseRequest, RequestData

from bot.preview.double import BotApiDouble

logger = logging.getLogger(__name__)


class DoubleRequest(BaseRequest):
    """python-telegram-bot request layer answered in-process by a BotApiDouble."""

    def __init__(self, api: BotApiDouble) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None:
            for name, part in request_data.multipart_data.items():
                content = part[1] if isinstance(part[1], bytes) else part[1].read()
                files[name] = (part[0], content)
            for name in files:
                params.pop(name, None)
        status, body = await self.api.call(api_method, params, files)
        return status, json.dumps(body).encode()


class BotApiServer:
    """The double over HTTP on 127.0.0.1 (an ephemeral port unless one is given)."""

    def __init__(self, api: BotApiDouble | None = None, latency: float = 0.0) -> None:
        self.api = api or BotApiDouble()
        self.latency = latency  # added to every answer but getUpdates
        self.tokens_seen: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # The update queue lives in the double; these keep the old fake server's interface.
    @property
    def pending(self) -> list[dict[str, Any]]:
        return self.api.pending

    @property
    def delivered_up_to(self) -> int:
        return self.api.delivered_up_to

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        return self.api.push(update)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        await self.api.wait_for(predicate, timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    async def _params(
        request: web.Request,
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
                data = await part.read()  # type: ignore[union-attr]
                if part.filename:  # type: ignore[union-attr]
                    files[part.name] = (part.filename, bytes(data))  # type: ignore[union-attr,index]
                else:
                    params[part.name] = data.decode()  # type: ignore[union-attr,index]
            return params, files
        params = dict(await request.post())
        params.update(request.query)
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        self.tokens_seen.add(token)
        params, files = await self._params(request)
        if method != "getUpdates" and self.latency:
            await asyncio.sleep(self.latency)
        status, body = await self.api.call(method, params, files)
        return web.json_response(body, status=status)

    def routes(self, app: web.Application) -> None:
        """Add the Bot API routes to an aiohttp application (e.g. beside control endpoints)."""
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> BotApiServer:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
