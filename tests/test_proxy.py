"""The Bot API through an HTTP proxy (telegram.proxy / TELEGRAM_PROXY): CONNECT tunnels with TLS
to the Bot API inside, the proxy's credential sent, keep-alive kept, and every way a proxy can
fail named as the cause in one line that never shows the proxy's URL (it may hold a password);
no connection is left open after a failure, and the next request works once the proxy does."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from telegram.error import NetworkError

from bot.cli import check_bot_api
from bot.plumbing.config import ConfigError, load_config
from bot.telegram.http import BotApiRequest
from tests.conftest import TEST_TOKEN
from tests.fakes.proxy import ConnectProxy
from tests.test_transport import RawServer, ask

PASSWORD = "p@ss:w0rd"
USER = "officer:p%40ss%3Aw0rd"  # the same, as it is written in a URL


@pytest.fixture
async def server() -> AsyncIterator[RawServer]:
    s = await RawServer().start()
    yield s
    await s.stop()


async def proxy_of(**kwargs: str) -> ConnectProxy:
    return await ConnectProxy(**kwargs).start()


def open_connections(req: BotApiRequest) -> int:
    return sum(len(opened) for opened in req._pool._open.values())


async def test_https_through_the_proxy_with_its_credential_and_one_kept_alive_tunnel() -> None:
    await https_through_the_proxy()


def test_the_same_on_uvloop_the_bots_event_loop() -> None:
    uvloop = pytest.importorskip("uvloop")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(https_through_the_proxy())


async def https_through_the_proxy() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    server = await RawServer(tls=server_ctx).start()
    proxy = await proxy_of(credential=f"officer:{PASSWORD}")
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    req = BotApiRequest(ssl_context=client_ctx, proxy=proxy.url(USER))
    try:
        for _ in range(5):
            assert await ask(req, server) == {"n": 1}
        assert proxy.targets == [f"localhost:{server.port}"], "one tunnel, to the API's host"
        assert proxy.credentials == [f"officer:{PASSWORD}"], "the URL's user:password, decoded"
        assert server.connections == 1 and proxy.tunnels == 1
        # The certificate checked is the Bot API's, through the tunnel: without the CA, refused.
        strict = BotApiRequest(proxy=proxy.url(USER))
        with pytest.raises(NetworkError):
            await ask(strict, server)
        await strict.shutdown()
        assert open_connections(strict) == 0
    finally:
        await req.shutdown()
        await proxy.stop()
        await server.stop()


async def test_plain_http_goes_through_a_tunnel_too(server: RawServer) -> None:
    proxy = await proxy_of()
    req = BotApiRequest(proxy=proxy.url())
    try:
        assert await ask(req, server) == {"n": 1}
        assert await ask(req, server) == {"n": 1}
        assert proxy.targets == [f"127.0.0.1:{server.port}"]
        assert proxy.credentials == [None], "no credential when the URL has none"
        assert [path for path, _ in server.requests] == ["/ok", "/ok"], "each sent once"
    finally:
        await req.shutdown()
        await proxy.stop()


@pytest.mark.parametrize(
    ("mode", "user", "reason"),
    [
        ("ok", None, "the proxy asks for a user name and password (407): check telegram.proxy"),
        ("ok", "officer:wrong", "the proxy asks for a user name and password (407)"),
        ("refuse", USER, "the proxy refused the tunnel (403 Forbidden)"),
        ("garbage", USER, "the proxy's answer was not HTTP"),
        ("close", USER, "the proxy closed the connection without answering"),
        ("early", USER, "the proxy sent bytes before the tunnel was open"),
    ],
)
async def test_a_failing_proxy_is_named_and_nothing_is_left_open(
    server: RawServer, mode: str, user: str | None, reason: str
) -> None:
    proxy = await proxy_of(credential=f"officer:{PASSWORD}", mode=mode)
    req = BotApiRequest(proxy=proxy.url(user))
    try:
        with pytest.raises(NetworkError) as caught:
            await ask(req, server)
        assert reason in caught.value.message
        assert "p@ss" not in str(caught.value) and "127.0.0.1" not in str(caught.value)
        assert server.requests == [], "nothing reached the Bot API"
        assert open_connections(req) == 0
        # The proxy is fixed: the same request object works, nothing was kept from the failure.
        proxy.mode, proxy.credential = "ok", None
        assert await ask(req, server) == {"n": 1}
    finally:
        await req.shutdown()
        await proxy.stop()


async def test_a_proxy_that_is_not_there(server: RawServer) -> None:
    proxy = await proxy_of()
    url = proxy.url(USER)
    await proxy.stop()  # its port now refuses connections
    req = BotApiRequest(proxy=url)
    with pytest.raises(NetworkError) as caught:
        await ask(req, server)
    assert caught.value.message == "could not reach the proxy: Connection refused"
    assert open_connections(req) == 0
    await req.shutdown()


async def test_a_proxy_that_never_answers_times_out_at_the_connect_timeout(
    server: RawServer,
) -> None:
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    req = BotApiRequest(proxy=f"http://127.0.0.1:{port}", connect_timeout=0.2)
    try:
        with pytest.raises(NetworkError, match="Timed out connecting"):
            await ask(req, server)
        assert open_connections(req) == 0
    finally:
        await req.shutdown()
        silent.close()


async def test_the_start_up_check_names_the_proxy_and_never_shows_its_password(
    server: RawServer,
) -> None:
    proxy = await proxy_of(credential="officer:right", mode="ok")
    api_url = f"http://127.0.0.1:{server.port}"
    try:
        code, line = await check_bot_api(api_url, TEST_TOKEN, proxy.url(USER)) or (0, "")
        assert code == 1
        assert line == (
            f"Could not reach the Bot API at {api_url}: "
            "the proxy asks for a user name and password (407): check telegram.proxy"
        )
        assert PASSWORD not in line and "officer" not in line
    finally:
        await proxy.stop()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("socks5://127.0.0.1:1080", "must be an http:// proxy URL with a host name"),
        ("https://proxy.example.org:3128", "must be an http:// proxy URL with a host name"),
        ("http://proxy.example.org", "needs a port from 1 to 65535"),
        ("http://officer:s3cret@proxy.example.org:99999", "the port must be a number"),
        ("http://officer:s3cret@proxy.example.org:3128/path", "must be only http://"),
    ],
)
def test_a_wrong_proxy_setting_is_one_line_without_its_value(
    tmp_path: Path, value: str, message: str
) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(empty, {"TELEGRAM_PROXY": value}, require_token=False)
    text = str(caught.value)
    assert text.startswith("TELEGRAM_PROXY (config key 'telegram.proxy'):")
    assert message in text and "s3cret" not in text and "\n" not in text
    config = tmp_path / "config.yaml"
    config.write_text(f"telegram:\n  proxy: {value!r}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config, {}, require_token=False)
    assert str(caught.value).startswith(f"{config}: config key 'telegram.proxy':")
    assert "s3cret" not in str(caught.value)


def test_the_proxy_setting_from_the_file_or_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text('telegram:\n  proxy: "http://a:b@proxy.example.org:3128"\n')
    assert load_config(config, {}, require_token=False).proxy == (
        "http://a:b@proxy.example.org:3128"
    )
    env = {"TELEGRAM_PROXY": "http://proxy.example.org:8080"}
    assert load_config(config, env, require_token=False).proxy == "http://proxy.example.org:8080"
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    assert load_config(empty, {}, require_token=False).proxy is None
    shown = repr(load_config(config, {}, require_token=False).settings)
    assert "a:b@" not in shown, "kept secret like the token"
