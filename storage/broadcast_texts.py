"""A broadcast's text in each resident's language: translations stored with it (an officer's
typed text, a meeting reminder), and which language residents read. Each recipient's text is
chosen when their outbox row is claimed, right before it is sent (storage/outbox.py `claim`).

Part of BroadcastStore (storage/broadcasts.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Database


class BroadcastTexts:
    """Translations of broadcasts (a mixin of BroadcastStore)."""

    db: Database

    async def translations_of(self, broadcast_id: int) -> dict[str, str]:
        """The broadcast's own text in each language it was given one in."""
        rows = await self.db.fetchall(
            "SELECT language, text FROM broadcast_texts WHERE broadcast_id = ?", (broadcast_id,)
        )
        return {str(r[0]): str(r[1]) for r in rows}

    async def set_translations(self, broadcast_id: int, texts: dict[str, str]) -> None:
        """Replace the broadcast's translations (a reminder planned again follows the content)."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM broadcast_texts WHERE broadcast_id = ?", (broadcast_id,))
            for lang, text in texts.items():
                await tx.execute(
                    "INSERT INTO broadcast_texts (broadcast_id, language, text) VALUES (?, ?, ?)",
                    (broadcast_id, lang, text),
                )

    async def languages_of(self, chat_ids: Sequence[int]) -> dict[int, str]:
        """The language of each of these residents who reads one other than English."""
        out: dict[int, str] = {}
        ids = list(chat_ids)
        for i in range(0, len(ids), 500):  # within SQLite's limit on parameters
            part = ids[i : i + 500]
            rows = await self.db.fetchall(
                "SELECT chat_id, language FROM residents WHERE language != 'en' AND chat_id IN"
                f" ({','.join('?' * len(part))})",
                part,
            )
            out.update({int(r[0]): str(r[1]) for r in rows})
        return out
