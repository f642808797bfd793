"""Officers' access to the web console, as plain values for any front end: one-time sign-in
links (sent by /console in chat), sessions, invitations (opened in Telegram) and roles.

Tokens are random (`secrets`), shown once and stored only as SHA-256 hashes; a link is single
use and bound to one officer; the officer's role is checked again when a link is used and on
every request, so removing someone ends their access at once. Every sign-in, refusal and change
goes to the console's audit trail (storage/console.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.roster import Roster
from storage.console import ConsoleAction, ConsoleStore, InvitedOfficer, Link, LinkKind, Session

INVITE_PREFIX = "invite-"  # /start invite-<token>: the invitation's Telegram deep link
SIGNIN_VALID = timedelta(minutes=10)
INVITE_VALID = timedelta(days=3)
Role = Literal["officer", "admin"]
ROLES: tuple[Role, ...] = ("officer", "admin")


def new_token() -> str:
    """32 URL-safe characters (192 random bits): fits a Telegram /start payload with its prefix."""
    return secrets.token_urlsafe(24)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """An officer's live session: who, their role now, and the session's form token."""

    user_id: int
    role: str
    csrf: str
    session_hash: str
    started: datetime

    @property
    def admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; only its hash is stored
    officer: SignedIn


async def issue_signin(
    store: ConsoleStore, roster: Roster, user_id: int, now: datetime
) -> str | None:
    """A sign-in link's token for this officer (None: not an officer)."""
    if roster.role_of(user_id) is None:
        return None
    await store.drop_expired_links(now)  # used or not, an expired link is only clutter
    token = new_token()
    link = Link(
        digest(token), LinkKind.SIGNIN, user_id, None, None, user_id, now, now + SIGNIN_VALID
    )
    await store.add_link(link)
    return token


async def signin_usable(store: ConsoleStore, roster: Roster, token: str, now: datetime) -> bool:
    """Whether the link would sign someone in now (it is not used by asking)."""
    link = await store.peek_link(digest(token), LinkKind.SIGNIN, now)
    return link is not None and roster.role_of(link.user_id) is not None


async def sign_in(
    store: ConsoleStore, roster: Roster, token: str, now: datetime
) -> NewSession | None:
    """Use the link (whatever happens next, it is used) and start a session; None when the link
    is unknown, used, expired, or its officer no longer has access."""
    link = await store.use_link(digest(token), LinkKind.SIGNIN, now)
    if link is None or link.user_id is None:
        await store.audit(None, ConsoleAction.SIGN_IN_REFUSED, now, detail="link not usable")
        return None
    role = roster.role_of(link.user_id)
    if role is None:
        await store.audit(
            None, ConsoleAction.SIGN_IN_REFUSED, now, target=link.user_id, detail="no access"
        )
        return None
    cookie, csrf = new_token(), new_token()
    session = Session(digest(cookie), link.user_id, csrf, now, now)
    await store.add_session(session)
    await store.audit(link.user_id, ConsoleAction.SIGN_IN, now)
    return NewSession(cookie, SignedIn(link.user_id, role, csrf, session.token_hash, now))


async def current(
    store: ConsoleStore, roster: Roster, cookie: str | None, now: datetime, idle: timedelta
) -> SignedIn | None:
    """The officer of a session cookie, if the session is live, not idle too long and its
    officer still has access (the session is ended otherwise); the session is kept alive."""
    if not cookie:
        return None
    hashed = digest(cookie)
    session = await store.session(hashed)
    if session is None:
        return None
    role = roster.role_of(session.user_id)
    if role is None or now - session.seen_at > idle:
        await store.end_session(hashed, now)
        return None
    await store.touch_session(hashed, now)
    return SignedIn(session.user_id, role, session.csrf, hashed, session.created_at)


async def sign_out(store: ConsoleStore, officer: SignedIn, now: datetime) -> None:
    await store.end_session(officer.session_hash, now)
    await store.audit(officer.user_id, ConsoleAction.SIGN_OUT, now)


# ---------------------------------------------------------------------- people


async def reload_roster(store: ConsoleStore, roster: Roster) -> None:
    roster.set_invited(await store.officers())


async def invite(
    store: ConsoleStore, by: SignedIn, role: Role, name: str, now: datetime
) -> str | None:
    """An invitation's token (None unless `by` is an admin); the name is how others see them."""
    if not by.admin or role not in ROLES:
        return None
    token = new_token()
    link = Link(
        digest(token), LinkKind.INVITE, None, role, name, by.user_id, now, now + INVITE_VALID
    )
    await store.add_link(link)
    await store.audit(by.user_id, ConsoleAction.INVITE, now, detail=f"{role}: {name}")
    return token


InviteOutcome = Literal["joined", "already", "refused"]


async def accept_invite(
    store: ConsoleStore, roster: Roster, token: str, user_id: int, now: datetime
) -> InviteOutcome:
    """The person opening an invitation in Telegram becomes an officer with its role; someone
    already an officer keeps what they have (the link is still used up)."""
    link = await store.use_link(digest(token), LinkKind.INVITE, now)
    if link is None or link.role not in ROLES:
        return "refused"
    if roster.role_of(user_id) is not None:
        return "already"
    await store.add_officer(user_id, link.role, link.name, link.created_by, now)
    await store.audit(user_id, ConsoleAction.JOINED, now, target=user_id, detail=link.role)
    await reload_roster(store, roster)
    return "joined"


async def set_role(
    store: ConsoleStore, roster: Roster, by: SignedIn, user_id: int, role: Role, now: datetime
) -> bool:
    """Change an invited officer's role (admins only; the config's officers are not changed)."""
    if not by.admin or role not in ROLES or roster.in_config(user_id):
        return False
    if not await store.set_role(user_id, role):
        return False
    await store.audit(by.user_id, ConsoleAction.SET_ROLE, now, target=user_id, detail=role)
    await reload_roster(store, roster)
    return True


async def remove(
    store: ConsoleStore, roster: Roster, by: SignedIn, user_id: int, now: datetime
) -> bool:
    """Take an invited officer's access away and end their sessions (admins only; never one's
    own, never an officer from the config)."""
    if not by.admin or user_id == by.user_id or roster.in_config(user_id):
        return False
    if not await store.remove_officer(user_id, now):
        return False
    await store.audit(by.user_id, ConsoleAction.REMOVE, now, target=user_id)
    await reload_roster(store, roster)
    return True


def invited_list(roster: Roster) -> list[InvitedOfficer]:
    return sorted(roster.invited.values(), key=lambda o: (o.added_at, o.user_id))
