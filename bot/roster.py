"""Who is an officer: those in the config, and those an admin invited through the console
(storage/console.py), in memory so every update's role check stays a dictionary look-up.

The config wins: an officer listed there keeps the config's role whatever the console says, and
cannot be removed from the console. Invited officers are loaded at start and after every change
the console makes; `on_change` callbacks (the officers' typed-input filter) follow them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.plumbing.config import Config
from storage.console import InvitedOfficer


class Roster:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._invited: dict[int, InvitedOfficer] = {}  # with access now
        self._former: dict[int, InvitedOfficer] = {}  # access removed: named, never allowed
        self.on_change: list[Callable[[], None]] = []

    def set_invited(self, officers: Iterable[InvitedOfficer]) -> None:
        """Replace the invited officers (removed ones are kept out)."""
        everyone = list(officers)
        self._invited = {o.user_id: o for o in everyone if o.removed_at is None}
        self._former = {o.user_id: o for o in everyone if o.removed_at is not None}
        for callback in self.on_change:
            callback()

    def in_config(self, user_id: int | None) -> bool:
        return user_id in self.config.officer_roles

    def role_of(self, user_id: int | None) -> str | None:
        """ "officer", "admin" or None (a resident, or an officer whose access was removed)."""
        if user_id is None:
            return None
        role = self.config.role_of(user_id)
        if role is not None:
            return role
        invited = self._invited.get(user_id)
        return invited.role if invited is not None else None

    def name_of(self, user_id: int | None) -> str | None:
        """The name an officer is shown by (former invited officers keep theirs)."""
        entry = self.config.officer_entry(user_id)
        if entry is not None:
            return entry[1]
        if user_id is None:
            return None
        invited = self._invited.get(user_id) or self._former.get(user_id)
        return invited.name if invited is not None else None

    def entry(self, user_id: int | None) -> tuple[int, str | None] | None:
        """As `Config.officer_entry` (position from 1, name), invited officers (former ones
        too, for histories) numbered after the config's, in the order they joined."""
        entry = self.config.officer_entry(user_id)
        if entry is not None or user_id is None:
            return entry
        joined = sorted({**self._former, **self._invited}.values(), key=lambda o: o.added_at)
        for i, o in enumerate(joined, len(self.config.settings.officers) + 1):
            if o.user_id == user_id:
                return i, o.name
        return None

    @property
    def roles(self) -> dict[int, str]:
        """Every officer's role: the config's, then the invited ones not in the config."""
        out = {i: o.role for i, o in self._invited.items()}
        out.update(self.config.officer_roles)
        return out

    @property
    def invited(self) -> dict[int, InvitedOfficer]:
        return dict(self._invited)
