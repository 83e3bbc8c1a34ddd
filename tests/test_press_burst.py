"""Presses in one busy group (issue #25): many at once are committed together yet never give
more in-person seats than the meeting has; the group's invitation, edited once for many
presses, shows the counts of all of them; forged or copied buttons are refused at once."""

from __future__ import annotations

import asyncio
import secrets

from sqlmodel import func, select

from core.clock import SystemClock
from core.config import Settings
from models import directory
from models.buttons import SIGNED_CHARS
from models.core import ProcessedEvent
from models.db import Database
from models.meetings import Rsvp
from tests.burst_scenario import COORDINATOR, FIRST_PRESSER, GROUP, add_representatives, running_bot
from tests.cast import find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import Call, FakeBotApi
from tests.test_telegram import link

SEATS = 5
PRESSERS = 30
OTHER_GROUP = -1009990002


def _bind(db: Database, chat: int, code: str, coordinator: int) -> None:
    clock = SystemClock()
    with db.session() as s:
        directory.bind_chat(
            s,
            directory.require_network(s, code),
            "telegram",
            str(chat),
            code,
            coordinator,
            clock.now(),
        )


async def _publish(api: FakeBotApi, chat: int, code: str, seats: str = "") -> list[str]:
    await api.inject(
        tg.message(
            tg.user(COORDINATOR),
            tg.group_chat(chat),
            f"/spotkanie_nowe {code}; Spotkanie robocze; 12.05.2027 10:00; hybrydowe; 6; "
            f"Łomża, ul. Długa 1; https://meet.example/x{seats}",
        )
    )

    def invitations() -> list[Call]:
        return [c for c in api.sent("sendMessage", chat) if "📅" in c.params["text"]]

    await api.wait_for(lambda: bool(invitations()), timeout=30)
    return [
        b["callback_data"]
        for row in invitations()[0].params["reply_markup"]["inline_keyboard"]
        for b in row
        if "callback_data" in b
    ]


def _toasts(api: FakeBotApi, ids: list[str]) -> list[str]:
    wanted = set(ids)
    return [
        str(c.params.get("text", ""))
        for c in api.sent("answerCallbackQuery")
        if str(c.params.get("callback_query_id")) in wanted
    ]


async def test_presses_at_once_never_exceed_the_seats_and_the_invitation_counts_them_all(
    api: FakeBotApi, seeded: Database, settings: Settings
) -> None:
    clock = SystemClock()
    cast = find_cast(seeded)
    link(seeded, cast.coordinator, COORDINATOR)
    _bind(seeded, GROUP, "cyfrowe", cast.coordinator)
    async with running_bot(api, seeded, clock, settings):
        buttons = await _publish(api, GROUP, "cyfrowe", f"; {SEATS}")
        add_representatives(seeded, PRESSERS, clock.now())
        in_person = buttons[0]
        ids = []
        for i in range(PRESSERS):  # all at once: they queue up and are handled in batches
            update = await api.inject(
                tg.callback(tg.user(FIRST_PRESSER + i), tg.group_chat(GROUP), in_person)
            )
            ids.append(update["callback_query"]["id"])
        await api.wait_for(lambda: len(_toasts(api, ids)) == PRESSERS, timeout=60)
        toasts = _toasts(api, ids)
        assert sum(t.startswith("Zapisano") for t in toasts) == SEATS, toasts
        assert sum(t.startswith("Lista rezerwowa") for t in toasts) == PRESSERS - SEATS
        with seeded.session() as s:
            seated = s.exec(
                select(func.count()).where(
                    Rsvp.answer == "stacjonarnie",
                    Rsvp.waitlisted == False,  # noqa: E712
                )
            ).one()
        assert seated == SEATS

        # the invitation in the group ends up showing every answer (edited, debounced)
        def shown() -> str:
            edits = api.sent("editMessageText", GROUP)
            return str(edits[-1].params["text"]) if edits else ""

        await api.wait_for(lambda: f"{PRESSERS - SEATS}" in shown() and "5" in shown(), 30)
        assert not [c for c in api.sent("sendMessage", GROUP) if "Zapisano" in c.params["text"]]


async def test_forged_and_copied_buttons_are_refused_without_touching_the_store(
    api: FakeBotApi, seeded: Database, settings: Settings
) -> None:
    clock = SystemClock()
    cast = find_cast(seeded)
    link(seeded, cast.coordinator, COORDINATOR)
    _bind(seeded, GROUP, "cyfrowe", cast.coordinator)
    with seeded.session() as s:
        other_code = next(n.code for n in directory.networks(s) if n.code != "cyfrowe")
    _bind(seeded, OTHER_GROUP, other_code, cast.coordinator)
    async with running_bot(api, seeded, clock, settings):
        buttons = await _publish(api, GROUP, "cyfrowe")
        add_representatives(seeded, 2, clock.now())
        with seeded.session() as s:
            events_before = s.exec(select(func.count()).select_from(ProcessedEvent)).one()
        forged = secrets.token_urlsafe(SIGNED_CHARS)[:SIGNED_CHARS]
        presses = [
            (GROUP, forged),  # made up
            (OTHER_GROUP, buttons[0]),  # a real button, pressed in another chat
            (GROUP, buttons[0][:16]),  # an unsigned token the store does not know
        ]
        ids = []
        for chat, data in presses:
            update = await api.inject(
                tg.callback(tg.user(FIRST_PRESSER), tg.group_chat(chat), data)
            )
            ids.append(update["callback_query"]["id"])
        await api.wait_for(lambda: len(_toasts(api, ids)) == len(presses), timeout=30)
        assert all(t.startswith("Ten przycisk jest już nieaktualny") for t in _toasts(api, ids))
        await asyncio.sleep(0.3)
        with seeded.session() as s:
            assert s.exec(select(func.count()).select_from(Rsvp)).one() == 0
            events_after = s.exec(select(func.count()).select_from(ProcessedEvent)).one()
        assert events_after == events_before  # refused before any transaction

        # the real button still works
        update = await api.inject(
            tg.callback(tg.user(FIRST_PRESSER), tg.group_chat(GROUP), buttons[0])
        )
        qid = update["callback_query"]["id"]
        await api.wait_for(lambda: bool(_toasts(api, [qid])), timeout=30)
        assert _toasts(api, [qid])[0].startswith("Zapisano")
