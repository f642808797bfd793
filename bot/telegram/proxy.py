"""An HTTP proxy the bot must use to reach Telegram (config telegram.proxy): its address and
Basic credential, and the CONNECT exchange that opens a tunnel through it (bot/telegram/http.py)."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from http import HTTPStatus
from typing import Protocol
from urllib.parse import unquote

from telegram.error import NetworkError

from bot.plumbing.config import check_proxy_url


class Origin(Protocol):
    """Where the tunnel leads (bot/telegram/http.py's Origin): a host name and a port."""

    host: str
    port: int


MAX_PROXY_ANSWER = 16_384  # a CONNECT answer's head longer than this is not a proxy speaking HTTP


class Proxy:
    """An HTTP proxy reached with CONNECT: its address and, if it has one, the Basic credential."""

    __slots__ = ("auth", "host", "port")

    def __init__(self, url: str) -> None:
        parts = check_proxy_url(url)  # the config's own check: ValueError if not valid
        assert parts.hostname is not None and parts.port is not None
        self.host = parts.hostname
        self.port = parts.port
        self.auth = b""
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self.auth = b"Proxy-Authorization: Basic " + base64.b64encode(pair) + b"\r\n"

    async def tunnel(self, origin: Origin) -> socket.socket:
        """A connected socket through which bytes reach `origin` (after CONNECT answered 200)."""
        loop = asyncio.get_running_loop()
        try:
            sock = await _connect(self.host, self.port)
        except socket.gaierror as exc:
            reason = f"no such host ({exc.strerror})"
            raise NetworkError(f"could not reach the proxy: {reason}") from None
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else "cannot connect"
            raise NetworkError(f"could not reach the proxy: {reason}") from None
        try:
            host = f"[{origin.host}]" if ":" in origin.host else origin.host
            target = f"{host}:{origin.port}".encode("idna")
            await loop.sock_sendall(
                sock,
                b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (target, target, self.auth),
            )
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = await loop.sock_recv(sock, 4096)
                if not chunk:
                    raise NetworkError("the proxy closed the connection without answering")
                answer += chunk
                if len(answer) > MAX_PROXY_ANSWER:
                    raise NetworkError("the proxy's answer was not HTTP")
            head, _, rest = answer.partition(b"\r\n\r\n")
            fields = head.split(b"\r\n", 1)[0].split(b" ", 2)
            if len(fields) < 2 or not fields[0].startswith(b"HTTP/1.") or not fields[1].isdigit():
                raise NetworkError("the proxy's answer was not HTTP")
            status = int(fields[1])
            if status == HTTPStatus.PROXY_AUTHENTICATION_REQUIRED:
                raise NetworkError(
                    "the proxy asks for a user name and password (407): check telegram.proxy"
                )
            if not 200 <= status < 300:
                try:
                    phrase = HTTPStatus(status).phrase
                except ValueError:
                    phrase = "unknown status"
                raise NetworkError(f"the proxy refused the tunnel ({status} {phrase})")
            if rest:
                raise NetworkError("the proxy sent bytes before the tunnel was open")
        except BaseException:
            sock.close()
            raise
        return sock


async def _connect(host: str, port: int) -> socket.socket:
    """A non-blocking TCP socket connected to host:port (each address in turn)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    failure: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            failure = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise failure
