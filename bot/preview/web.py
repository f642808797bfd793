"""The preview's web page and its HTTP API, served by aiohttp.

GET  /                         the page (static HTML, CSS and JavaScript; no build step)
GET  /api/state                people, their chats and menus, deep links, map, content problems
GET  /api/events               server-sent events: every change as it happens
POST /api/chats/{id}/message   {"text": "..."}: the person types a message
POST /api/chats/{id}/location  {"latitude": .., "longitude": ..}: the person shares a location
POST /api/chats/{id}/press     {"message_id": .., "data": ".."}: the person taps a button
POST /api/chats/{id}/block     {"blocked": true}: the person blocks (or unblocks) the bot
GET  /api/files/{file_id}      a photo or document the bot sent (?download=1 to save it)

POSTs must be JSON, so another web site cannot make the browser post to the preview (a
cross-origin JSON request needs a CORS preflight the preview never grants); requests naming a
host other than the one served are refused (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.preview.double import BotApiDouble
from bot.preview.people import Person

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_TEXT = 4096  # what Telegram's apps let a person type in one message
KEEPALIVE = 15.0  # seconds between SSE comments, so proxies and browsers keep the stream
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

# A few named places residents might share, beside the NAG centres drawn on the map. The last
# one is outside Milton Keynes (no map label: it is off the map), to see what the bot says then.
PLACES = [
    ("Milton Keynes Central station", "MK Central", 52.0343, -0.7740),
    ("Bletchley station", "Bletchley", 51.9955, -0.7362),
    ("Newport Pagnell High Street", "Newport Pagnell", 52.0870, -0.7220),
    ("Olney Market Place", "Olney", 52.1532, -0.7016),
    ("Stony Stratford High Street", "Stony Stratford", 52.0568, -0.8536),
    ("Wolverton station", "Wolverton", 52.0656, -0.8043),
    ("The Open University, Walton Hall", "Open University", 52.0249, -0.7099),
    ("Bedford (outside Milton Keynes)", "", 52.1360, -0.4667),
]


def message_view(msg: dict[str, Any]) -> dict[str, Any]:
    """A stored Telegram message as the page draws it (raw HTML goes to its whitelist renderer)."""
    from_bot = bool(msg.get("from", {}).get("is_bot"))
    view: dict[str, Any] = {
        "id": msg["message_id"],
        "from": "bot" if from_bot else "user",
        "date": msg.get("date"),
        "edited": "edit_date" in msg,
        "html": str(msg.get("_parse_mode") or "").upper() == "HTML",
    }
    for key in ("text", "caption"):
        if msg.get(key) is not None:
            view[key] = str(msg[key])
    if msg.get("photo"):
        view["photo"] = {"file_id": msg["photo"][-1]["file_id"]}
    if msg.get("document"):
        doc = msg["document"]
        view["document"] = {
            "file_id": doc["file_id"],
            "name": doc.get("file_name") or "file",
            "size": doc.get("file_size") or 0,
        }
    if msg.get("location"):
        loc = msg["location"]
        view["location"] = {"latitude": loc["latitude"], "longitude": loc["longitude"]}
    markup = msg.get("reply_markup")
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        view["inline_keyboard"] = [
            [{k: b[k] for k in ("text", "callback_data", "url") if k in b} for b in row]
            for row in markup["inline_keyboard"]
        ]
    keyboard = msg.get("_keyboard")
    if isinstance(keyboard, dict):
        if keyboard.get("remove_keyboard"):
            view["keyboard"] = {"remove": True}
        elif keyboard.get("keyboard"):
            view["keyboard"] = {
                "rows": [
                    [
                        {
                            "text": b if isinstance(b, str) else b.get("text", ""),
                            "request_location": bool(
                                isinstance(b, dict) and b.get("request_location")
                            ),
                        }
                        for b in row
                    ]
                    for row in keyboard["keyboard"]
                ],
                "one_time": bool(keyboard.get("one_time_keyboard")),
                "placeholder": keyboard.get("input_field_placeholder") or "",
            }
    return view


def _host_of(header: str) -> str:
    if header.startswith("["):
        return header.split("]")[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class PreviewWeb:
    """The page, its JSON API and the live event stream."""

    def __init__(
        self,
        api: BotApiDouble,
        people: list[Person],
        meta: Callable[[], dict[str, Any]],
        host: str = "127.0.0.1",
    ) -> None:
        self.api = api
        self.people = {p.id: p for p in people}
        self.order = [p.id for p in people]
        self.meta = meta  # deep links, map and problems: they change when content reloads
        self.host = host
        self._queues: set[asyncio.Queue[str | None]] = set()
        self._unsubscribe = api.subscribe(self._on_event)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ events

    def _on_event(self, event: dict[str, Any]) -> None:
        """A change in the double, as the page needs it."""
        kind = event["type"]
        out: dict[str, Any]
        if kind in ("message", "edit"):
            out = {
                "type": kind,
                "chat_id": event["chat_id"],
                "message": message_view(event["message"]),
            }
        elif kind == "commands":
            out = {"type": "menus", "menus": self.menus()}
        else:
            out = dict(event)
        if "chat_id" in out and out["chat_id"] not in self.people:
            return  # a chat the page does not show
        self.publish(out)

    def publish(self, event: dict[str, Any]) -> None:
        data = json.dumps(event, ensure_ascii=False)
        for q in self._queues:
            q.put_nowait(data)

    def menus(self) -> dict[str, list[dict[str, str]]]:
        return {str(i): self.api.commands_for(i) for i in self.order}

    # ------------------------------------------------------------------ state

    def state(self) -> dict[str, Any]:
        people = []
        for i in self.order:
            p = self.people[i]
            log = self.api.log(i)
            people.append(
                {
                    **p.as_json(),
                    "blocked": i in self.api.blocked,
                    "commands": self.api.commands_for(i),
                    "messages": [message_view(m) for m in log.messages.values()],
                    "refused": list(log.refused),
                }
            )
        return {
            "bot": {"name": "SaferMK", "username": "SaferMKBot"},
            "people": people,
            **self.meta(),
        }

    # ------------------------------------------------------------------ handlers

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._queues.add(queue)  # before the headers go out: a client that has them misses nothing
        try:
            await resp.prepare(request)
            await resp.write(b"retry: 1000\n: connected\n\n")
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    await resp.write(b": keep-alive\n\n")
                    continue
                if data is None:  # the preview is stopping
                    break
                await resp.write(f"data: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._queues.discard(queue)
        return resp

    def _person(self, request: web.Request) -> Person:
        try:
            return self.people[int(request.match_info["chat_id"])]
        except (KeyError, ValueError):
            raise _error(404, "no such person in the preview") from None

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise _error(415, "send JSON (Content-Type: application/json)")
        try:
            body = await request.json()
        except ValueError:
            raise _error(400, "the body is not JSON") from None
        if not isinstance(body, dict):
            raise _error(400, "the body must be a JSON object")
        return body

    def _not_blocked(self, person: Person) -> None:
        if person.id in self.api.blocked:
            raise _error(409, f"{person.name} blocked the bot: unblock it to write again")

    async def _message(self, request: web.Request) -> web.Response:
        person = self._person(request)
        body = await self._json(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _error(400, "type a message first")
        if len(text) > MAX_TEXT:
            raise _error(400, f"a message can have at most {MAX_TEXT} characters")
        self._not_blocked(person)
        msg = self.api.user_message(person.id, text)
        return web.json_response({"ok": True, "message_id": msg["message_id"]})

    async def _location(self, request: web.Request) -> web.Response:
        person = self._person(request)
        body = await self._json(request)
        try:
            lat, lon = float(body["latitude"]), float(body["longitude"])
        except (KeyError, TypeError, ValueError):
            raise _error(400, "give latitude and longitude as numbers") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise _error(400, "latitude or longitude out of range")
        self._not_blocked(person)
        msg = self.api.user_message(person.id, location=(lat, lon))
        return web.json_response({"ok": True, "message_id": msg["message_id"]})

    async def _press(self, request: web.Request) -> web.Response:
        person = self._person(request)
        body = await self._json(request)
        try:
            message_id, data = int(body["message_id"]), str(body["data"])
        except (KeyError, TypeError, ValueError):
            raise _error(400, "give message_id and data") from None
        stored = self.api.log(person.id).messages.get(message_id)
        rows = ((stored or {}).get("reply_markup") or {}).get("inline_keyboard") or []
        if not any(b.get("callback_data") == data for row in rows for b in row):
            raise _error(404, "that message has no such button (any more)")
        self._not_blocked(person)
        self.api.press(person.id, message_id, data)
        return web.json_response({"ok": True})

    async def _block(self, request: web.Request) -> web.Response:
        person = self._person(request)
        body = await self._json(request)
        if person.role != "resident":
            raise _error(400, "only residents have the block switch")
        self.api.block(person.id, bool(body.get("blocked")))
        return web.json_response({"ok": True, "blocked": person.id in self.api.blocked})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        stored = self.api.files.get(request.match_info["file_id"])
        if stored is None:
            raise _error(404, "no such file")
        if stored.url is not None:  # sent by URL: the double never fetches it
            raise _error(404, "this picture was sent by URL; the preview does not fetch it")
        name = re.sub(r"[^A-Za-z0-9._-]", "_", stored.name) or "file"
        disposition = "attachment" if request.query.get("download") else "inline"
        return web.Response(
            body=stored.data,
            content_type=stored.mime,
            headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
        )

    # ------------------------------------------------------------------ server

    @web.middleware
    async def _guard(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        allowed = LOCAL_HOSTS | {self.host}
        if self.host not in ("0.0.0.0", "::") and _host_of(request.host) not in allowed:
            return web.json_response({"error": "unknown host"}, status=421)
        try:
            resp = await handler(request)
        except ApiError as exc:
            resp = web.json_response({"error": exc.message}, status=exc.status)
        if not resp.prepared:
            resp.headers.setdefault("Content-Security-Policy", CSP)
            resp.headers.setdefault("X-Content-Type-Options", "nosniff")
            resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC, append_version=False)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/chats/{chat_id}/message", self._message)
        app.router.add_post("/api/chats/{chat_id}/location", self._location)
        app.router.add_post("/api/chats/{chat_id}/press", self._press)
        app.router.add_post("/api/chats/{chat_id}/block", self._block)
        app.router.add_get("/api/files/{file_id}", self._file)
        return app

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._unsubscribe()
        for q in list(self._queues):
            q.put_nowait(None)  # end every event stream, so shutdown does not wait for them
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class ApiError(Exception):
    """A request the preview refuses: answered as {"error": message} with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> ApiError:
    return ApiError(status, message)
