"""Typed callback data of officers' buttons: /scheduled's broadcast cards and confirmations,
/results, and the /broadcast wizard (residents' buttons and the mechanism: bot/callback_data.py).

Split from bot/callback_data.py because these change with the officers' flows; the prefixes
share one registry, so a prefix is still refused if either module uses it.
"""

from __future__ import annotations

import dataclasses

from bot.callback_data import CallbackData

# Officers' broadcast buttons. Nothing acts on a first press: Cancel, Send now and Change time
# open a confirmation showing what will happen, and only its Confirm acts. A Confirm carries the
# due time the officer was shown (Unix seconds), so a second press, or one after the broadcast
# was sent, moved or cancelled, changes nothing.


@dataclasses.dataclass(frozen=True)
class CancelBroadcast(CallbackData, prefix="bx"):
    """Ask to cancel (from the card, or the 24-hour notice): opens the confirmation."""

    broadcast: int


@dataclasses.dataclass(frozen=True)
class SendNow(CallbackData, prefix="bn"):
    """Ask to send now: opens the confirmation."""

    broadcast: int


@dataclasses.dataclass(frozen=True)
class Retime(CallbackData, prefix="bt"):
    """Ask for a new time (then a confirmation)."""

    broadcast: int


@dataclasses.dataclass(frozen=True)
class Manage(CallbackData, prefix="bm"):
    """One broadcast's card in /scheduled."""

    broadcast: int


@dataclasses.dataclass(frozen=True)
class ScheduledList(CallbackData, prefix="bl"):
    """A page of /scheduled: the coming month, or the later automatic messages."""

    later: bool
    page: int


@dataclasses.dataclass(frozen=True)
class ConfirmCancel(CallbackData, prefix="bcx"):
    broadcast: int
    due: int


@dataclasses.dataclass(frozen=True)
class ConfirmSendNow(CallbackData, prefix="bcn"):
    broadcast: int
    due: int
    urgent: bool = False  # send during quiet hours too


@dataclasses.dataclass(frozen=True)
class ConfirmRetime(CallbackData, prefix="bct"):
    broadcast: int
    due: int
    at: int  # the new time (Unix seconds)


@dataclasses.dataclass(frozen=True)
class Results(CallbackData, prefix="rs"):
    """Officers: one survey's results."""

    survey: str


# ---------------------------------------------------------------- the /broadcast wizard


@dataclasses.dataclass(frozen=True)
class WizardCampaigns(CallbackData, prefix="wl"):
    """Back to the list of campaigns."""


@dataclasses.dataclass(frozen=True)
class WizardPickCampaign(CallbackData, prefix="wp"):
    """One campaign's messages."""

    campaign: str


@dataclasses.dataclass(frozen=True)
class WizardCampaign(CallbackData, prefix="wc"):
    campaign: str
    message: str


@dataclasses.dataclass(frozen=True)
class WizardTypeText(CallbackData, prefix="wt"):
    pass


@dataclasses.dataclass(frozen=True)
class WizardImage(CallbackData, prefix="wi"):
    campaign: str  # "-" for no picture


@dataclasses.dataclass(frozen=True)
class WizardAudience(CallbackData, prefix="wa"):
    kind: str  # all | nags


@dataclasses.dataclass(frozen=True)
class WizardNag(CallbackData, prefix="wg"):
    nag: str


@dataclasses.dataclass(frozen=True)
class WizardNagsDone(CallbackData, prefix="wd"):
    pass


@dataclasses.dataclass(frozen=True)
class WizardSurvey(CallbackData, prefix="ws"):
    survey: str


@dataclasses.dataclass(frozen=True)
class WizardTime(CallbackData, prefix="ww"):
    choice: str  # now | today_1800 | tomorrow_1000 | tomorrow_1800


@dataclasses.dataclass(frozen=True)
class WizardUrgent(CallbackData, prefix="wu"):
    pass


@dataclasses.dataclass(frozen=True)
class WizardTest(CallbackData, prefix="wx"):
    pass


@dataclasses.dataclass(frozen=True)
class WizardConfirm(CallbackData, prefix="wk"):
    force: bool  # yes after the duplicate warning


@dataclasses.dataclass(frozen=True)
class WizardAbandon(CallbackData, prefix="wq"):
    pass


# Issue 22: Back on every step, the group picker's pages and search, times picked by buttons
# and the ratings choice. A wizard press counts only on the wizard's current screen at the step
# it was drawn for (bot/handlers/wizard_draft.py); anything else has moved on.


@dataclasses.dataclass(frozen=True)
class WizardBack(CallbackData, prefix="wb"):
    to: str  # content | audience | time | days


@dataclasses.dataclass(frozen=True)
class WizardNagPage(CallbackData, prefix="wn"):
    page: int


@dataclasses.dataclass(frozen=True)
class WizardNagsAll(CallbackData, prefix="we"):
    """Clear the typed search: every NAG again."""


@dataclasses.dataclass(frozen=True)
class WizardDays(CallbackData, prefix="wy"):
    """The list of days to pick from."""


@dataclasses.dataclass(frozen=True)
class WizardDay(CallbackData, prefix="wz"):
    day: int  # yyyymmdd, in the bot's time zone


@dataclasses.dataclass(frozen=True)
class WizardAt(CallbackData, prefix="wh"):
    day: int  # yyyymmdd
    minute: int  # minutes after midnight


@dataclasses.dataclass(frozen=True)
class WizardRatings(CallbackData, prefix="wr"):
    on: bool  # the value the button sets, so a second press never flips it back


# Issue 23: a typed broadcast may carry a translation per language the bot offers.


@dataclasses.dataclass(frozen=True)
class WizardTranslate(CallbackData, prefix="wv"):
    lang: str  # a language code the bot offers ("pl")


# A scheduled typed broadcast's translation changed from its card (issue 23), as the console
# can: typed, previewed, then confirmed; removing one asks first. A Confirm carries the due time
# the officer was shown and counts only on the newest preview (bot/handlers/broadcast_translate.py).


@dataclasses.dataclass(frozen=True)
class EditTranslation(CallbackData, prefix="be"):
    """Type a new text in one language (then a preview and a confirmation)."""

    broadcast: int
    lang: str


@dataclasses.dataclass(frozen=True)
class RemoveTranslation(CallbackData, prefix="bd"):
    """Ask to remove one language's text: opens the confirmation."""

    broadcast: int
    lang: str


@dataclasses.dataclass(frozen=True)
class ConfirmTranslation(CallbackData, prefix="bce"):
    broadcast: int
    due: int
    lang: str


@dataclasses.dataclass(frozen=True)
class ConfirmRemoveTranslation(CallbackData, prefix="bcd"):
    broadcast: int
    due: int
    lang: str
