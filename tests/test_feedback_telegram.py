"""Feedback through the real python-telegram-bot and the fake Bot API: the poll arrives
privately with buttons, answers by button and by typing, the report's three files arrive
privately; an open quick poll is a native non-anonymous Telegram poll whose `poll_answer`
updates are counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory
from models.db import Database
from models.feedback import Poll, PollVote
from tests.cast import Cast, find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.test_feedback import ENDS, core_reps
from tests.test_telegram import link, telegram_settings

GROUP = -100888
COORD, REP, REP2, REP3 = 301, 302, 303, 304


@pytest.fixture
async def setup(
    api: FakeBotApi, seeded: Database, clock: FrozenClock, settings: Settings
) -> AsyncIterator[tuple[OutboxDispatcher, DueDispatcher, Cast, Settings]]:
    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    transport = TelegramTransport(Router(seeded, clock, tg_settings), tg_settings)
    await transport.start()
    cast = find_cast(seeded)
    a, b, c = core_reps(seeded)[:3]
    for person, user in ((cast.coordinator, COORD), (a, REP), (b, REP2), (c, REP3)):
        link(seeded, person, user)
    with seeded.session() as s:
        directory.bind_chat(
            s,
            directory.require_network(s, "cyfrowe"),
            "telegram",
            str(GROUP),
            "Miasto Cyfrowe",
            cast.coordinator,
            clock.now(),
        )
    yield (
        OutboxDispatcher(seeded, clock, {"telegram": transport}),
        DueDispatcher(seeded, clock, tg_settings),
        cast,
        tg_settings,
    )
    await transport.stop()


def polls(db: Database) -> list[Poll]:
    with db.session() as s:
        return list(s.exec(select(Poll)).all())


def keyboard(call: object) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {}  # type: ignore[attr-defined]
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


async def say(
    api: FakeBotApi, user: int, text: str, expect: str, outbox: OutboxDispatcher | None = None
) -> None:
    await api.inject(tg.message(tg.user(user), tg.private_chat(user), text))
    await api.wait_for(
        lambda: any(expect in t for t in api.texts(user)), tick=outbox.run_once if outbox else None
    )


async def test_poll_by_buttons_and_typing_then_report_files(
    api: FakeBotApi,
    seeded: Database,
    clock: FrozenClock,
    setup: tuple[OutboxDispatcher, DueDispatcher, Cast, Settings],
) -> None:
    outbox, jobs, _cast, _settings = setup
    await say(
        api,
        COORD,
        "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4",
        "opublikowane",
        outbox,
    )  # behind the coordinator's own invitation
    for user in (REP, REP2, REP3):
        await say(api, user, "/rsvp 1 online", "Zapisano")
    clock.set(ENDS + timedelta(minutes=30))
    await jobs.run_once()
    await outbox.run_once()
    first = next(c for c in api.sent("sendMessage", REP) if "Anonimowo" in c.params["text"])
    assert "Pytanie 1 z 6" in first.params["text"]
    assert any("anonimową ankietę" in t for t in api.texts(GROUP))
    assert not any("Pytanie 1 z 6" in t for t in api.texts(GROUP))  # questions only privately

    for user, rating in ((REP, "5"), (REP2, "4"), (REP3, "4")):
        call = next(c for c in api.sent("sendMessage", user) if "Pytanie 1 z 6" in c.params["text"])
        await api.inject(tg.callback(tg.user(user), tg.private_chat(user), keyboard(call)[rating]))
        await api.wait_for(lambda u=user: any("Pytanie 2 z 6" in t for t in api.texts(u)))
    await say(api, REP, "3", "Pytanie 3 z 6")  # a typed number
    second = [c for c in api.sent("sendMessage", REP2) if "Pytanie 2 z 6" in c.params["text"]]
    await api.inject(
        tg.callback(tg.user(REP2), tg.private_chat(REP2), keyboard(second[-1])["Pomiń"])
    )  # a skipped question
    await api.wait_for(lambda: any("Pytanie 3 z 6" in t for t in api.texts(REP2)))
    # the same button again: a double vote
    await api.inject(
        tg.callback(tg.user(REP2), tg.private_chat(REP2), keyboard(second[-1])["Pomiń"])
    )
    await api.wait_for(lambda: any("jest już zapisana" in t for t in api.texts(REP2)))

    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
    clock.set(poll.closes_at)
    await jobs.run_once()
    await outbox.run_once()
    assert any("zamknięta: odpowiedziały 3 z 3 zapytanych osób" in t for t in api.texts(COORD))
    await say(api, REP3, "/ankieta 1 2 4", "jest już zamknięta")  # late

    await api.inject(tg.message(tg.user(COORD), tg.group_chat(GROUP), "/raport 1"))

    def reports() -> list[str]:
        return [
            d.files["document"][0]
            for d in api.sent("sendDocument", COORD)
            if d.files["document"][0].startswith("raport")
        ]

    for _ in range(200):  # text and three files: paced through the outbox
        await outbox.run_once()
        if len(reports()) >= 3:
            break
        await asyncio.sleep(0.05)
    assert len(reports()) >= 3
    assert reports() == [
        "raport_spotkania_1.png",
        "raport_spotkania_1.csv",
        "raport_spotkania_1.pdf",
    ]
    assert not any(
        d.files["document"][0].startswith("raport") for d in api.sent("sendDocument", GROUP)
    )
    assert any("średnia 4,3 na 5" in t for t in api.texts(COORD))
    assert not any("Raport" in t for t in api.texts(GROUP))  # staff overview: privately only


async def test_open_quick_poll_is_a_native_telegram_poll_and_counts_poll_answers(
    api: FakeBotApi,
    seeded: Database,
    clock: FrozenClock,
    setup: tuple[OutboxDispatcher, DueDispatcher, Cast, Settings],
) -> None:
    outbox, jobs, _cast, _settings = setup
    group = tg.group_chat(GROUP)
    await api.inject(
        tg.message(
            tg.user(COORD), group, "/glosowanie jawne Kiedy następne spotkanie? | maj | czerwiec"
        )
    )
    await api.wait_for(lambda: bool(polls(seeded)))
    await outbox.run_once()
    [sent] = api.sent("sendPoll", GROUP)
    assert sent.params["is_anonymous"] in (False, "false", "False")
    assert [o if isinstance(o, str) else o["text"] for o in sent.params["options"]] == [
        "maj",
        "czerwiec",
    ]
    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
    assert poll.native_id and not poll.anonymous

    def answer(user: int, options: list[int]) -> dict[str, object]:
        return tg.poll_answer(tg.user(user), poll.native_id or "", options)

    def votes() -> dict[int, int]:
        with seeded.session() as s:
            return {v.person_id: v.option for v in s.exec(select(PollVote)).all()}

    a, b, _c = core_reps(seeded)[:3]
    await api.inject(answer(REP, [1]))
    await api.inject(answer(REP2, [0]))
    await api.inject(answer(COORD, [0]))  # staff do not vote: ignored
    await api.wait_for(lambda: votes() == {a: 2, b: 1})
    await api.inject(answer(REP2, []))  # vote withdrawn
    await api.wait_for(lambda: votes() == {a: 2})
    clock.advance(timedelta(days=1))
    await jobs.run_once()
    await outbox.run_once()
    result = next(t for t in api.texts(GROUP) if "zakończone" in t)
    assert "2. czerwiec: 1" in result and "1. maj: 0" in result


async def test_closing_a_quick_poll_stops_the_native_telegram_poll(
    api: FakeBotApi,
    seeded: Database,
    setup: tuple[OutboxDispatcher, DueDispatcher, Cast, Settings],
) -> None:
    outbox, _jobs, _cast, _settings = setup
    group = tg.group_chat(GROUP)
    await api.inject(
        tg.message(tg.user(COORD), group, "/glosowanie jawne Gdzie jesienią? | Łomża | Gniezno")
    )
    await api.wait_for(lambda: bool(polls(seeded)))
    await outbox.run_once()
    [(chat_id, message_id)] = list(api.polls)
    assert chat_id == str(GROUP) and not api.polls[(chat_id, message_id)]["is_closed"]
    [poll] = polls(seeded)
    await api.inject(tg.message(tg.user(COORD), group, f"/glosowanie_zamknij {poll.id}"))
    await api.wait_for(lambda: bool(api.sent("stopPoll", GROUP)), tick=outbox.run_once)
    [stop] = api.sent("stopPoll", GROUP)
    assert int(stop.params["message_id"]) == message_id
    assert api.polls[(chat_id, message_id)]["is_closed"]  # no more votes in Telegram
    assert any("zakończone" in t for t in api.texts(GROUP))  # the result is posted too
