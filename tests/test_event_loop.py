"""The bot's event loop (bot.telegram.processing.new_event_loop): uvloop unless switched off."""

from __future__ import annotations

import asyncio

import pytest

from bot.telegram.processing import new_event_loop, uvloop_wanted


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_the_switch_turns_uvloop_off(value: str) -> None:
    assert not uvloop_wanted({"SAFERMK_UVLOOP": value})
    loop = new_event_loop({"SAFERMK_UVLOOP": value})
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()


def test_uvloop_by_default_where_installed_and_it_runs_the_bot_s_code() -> None:
    uvloop = pytest.importorskip("uvloop")
    assert uvloop_wanted({})
    loop = new_event_loop({})
    try:
        assert isinstance(loop, uvloop.Loop)

        async def work() -> int:
            await asyncio.sleep(0)
            return await asyncio.gather(*(asyncio.sleep(0, i) for i in range(3))) == [0, 1, 2]

        assert loop.run_until_complete(work())
    finally:
        loop.close()
