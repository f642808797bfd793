"""Update processing: concurrent across chats, strictly ordered within one chat."""

from __future__ import annotations

import asyncio

from telegram import Bot, Update

from bot.telegram.processing import PerChatOrderedProcessor, chat_key
from tests import builders as b

BOT = Bot("12345:" + "A" * 35)


def upd(chat_id: int, text: str) -> Update:
    return Update.de_json(b.text_update(chat_id, text), BOT)


async def test_same_chat_waits_other_chats_do_not():
    proc = PerChatOrderedProcessor(16)
    log: list[str] = []
    gate = asyncio.Event()

    async def work(name: str, wait: bool = False) -> None:
        log.append(f"start {name}")
        if wait:
            await gate.wait()
        log.append(f"end {name}")

    a1 = asyncio.create_task(proc.process_update(upd(1, "a1"), work("a1", wait=True)))
    a2 = asyncio.create_task(proc.process_update(upd(1, "a2"), work("a2")))
    b1 = asyncio.create_task(proc.process_update(upd(2, "b1"), work("b1")))
    await b1  # chat 2 finishes while chat 1's first update is still blocked
    assert log == ["start a1", "start b1", "end b1"]
    assert not a2.done()
    gate.set()
    await asyncio.gather(a1, a2)
    assert log[3:] == ["end a1", "start a2", "end a2"]
    assert proc.chats_in_flight == 0


async def test_order_kept_for_many_updates_of_one_chat():
    proc = PerChatOrderedProcessor(4)
    seen: list[int] = []

    async def work(i: int) -> None:
        await asyncio.sleep(0)  # yield so that any reordering would show
        seen.append(i)

    tasks = [asyncio.create_task(proc.process_update(upd(7, str(i)), work(i))) for i in range(50)]
    await asyncio.gather(*tasks)
    assert seen == list(range(50))


async def test_failure_does_not_block_the_chat():
    proc = PerChatOrderedProcessor(4)

    async def boom() -> None:
        raise RuntimeError("x")

    async def ok() -> str:
        return "ok"

    first = asyncio.create_task(proc.process_update(upd(3, "1"), boom()))
    second = asyncio.create_task(proc.process_update(upd(3, "2"), ok()))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and results[1] is None
    assert proc.chats_in_flight == 0


def test_chat_key():
    assert chat_key(upd(42, "x")) == 42
    assert chat_key(object()) is None
