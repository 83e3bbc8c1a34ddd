"""Issue 23, item 5: join-request spam. A network's coordinators get one summary at most every
`join_summary_minutes` (never a message per request), a network takes at most
`join_requests_per_hour` new undecided requests an hour, and /zgloszenia lists what waits —
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models.db import Database
from models.joins import JoinRequest, JoinStatus
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_roster_chat import answer_join_questions

CAP_TEXT = (
    "Do sieci MIASTO CYFROWE wpłynęło w ostatniej godzinie bardzo wiele zgłoszeń, więc teraz "
    "nie mogę przyjąć Twojego. Spróbuj ponownie za godzinę: wystarczy, że znowu napiszesz mi "
    "kod sieci (Twoje dotychczasowe odpowiedzi zachowałem), albo /anuluj, aby przerwać."
)


def summaries(db: Database) -> dict[str, list[tuple[datetime, str]]]:
    """Every private message about join requests, by the chat it went to."""
    with db.session() as s:
        rows = s.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.kind).startswith("join"))
            .order_by(col(OutboxMessage.id))
        ).all()
    found: dict[str, list[tuple[datetime, str]]] = {}
    for row in rows:
        found.setdefault(row.chat_id, []).append((row.created_at, row.payload["text"]))
    return found


def requests(db: Database, status: str) -> list[JoinRequest]:
    with db.session() as s:
        return list(s.exec(select(JoinRequest).where(JoinRequest.status == status)).all())


async def test_a_thousand_requests_from_a_thousand_accounts_bring_one_summary_per_window(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    jobs = DueDispatcher(seeded, clock, settings)
    accounts = [f"tg-{10_000 + n}" for n in range(1000)]
    assert (await chat.text(accounts[0], "/zglos")).startswith("Zadam Ci pięć krótkich pytań")
    with seeded.session() as s:  # the others are where /zglos and four answers leave them
        s.add_all(
            JoinRequest(
                platform="console",
                external_id=who,
                step="networks",
                city_name="Spamowo",
                name="Jan Spam",
                position="Specjalista",
                email=f"{who}@spam.example",
                created_at=clock.now(),
            )
            for who in accounts[1:]
        )
    await chat.text(accounts[0], "Spamowo")
    await chat.text(accounts[0], "Jan Spam")
    await chat.text(accounts[0], "Specjalista")
    await chat.text(accounts[0], "jan@spam.example")
    answers: dict[str, str] = {}
    for n in range(0, len(accounts), 40):  # 40 at once every five minutes, for two hours
        batch = accounts[n : n + 40]
        texts = await asyncio.gather(*(chat.text(who, "cyfrowe") for who in batch))
        answers.update(zip(batch, texts, strict=True))
        await jobs.run_once()  # the jobs' tick
        clock.advance(timedelta(minutes=5))

    filed = [who for who, text in answers.items() if text.startswith("Dziękuję!")]
    refused = [who for who, text in answers.items() if text == CAP_TEXT]
    # 20 an hour (the default): at the start, an hour later and two hours later
    assert (len(filed), len(refused)) == (60, 940)
    assert len(requests(seeded, JoinStatus.OPEN)) == 60  # nothing stored for the refused
    assert {r.external_id for r in requests(seeded, JoinStatus.OPEN)} == set(filed)
    assert len(requests(seeded, JoinStatus.DRAFT)) == 940  # their answers kept for a retry

    told = summaries(seeded)
    assert set(told) == {str(cast.coordinator)}  # the network's coordinator, nobody else
    mine = told[str(cast.coordinator)]
    assert len(mine) == 3  # not 1,000: one per window with news
    for (earlier, _), (later, _) in itertools.pairwise(mine):
        assert later - earlier >= timedelta(minutes=settings.join_summary_minutes)
    assert mine[0][1].startswith("📥 MIASTO CYFROWE: 20 nowych zgłoszeń czeka na Twoją decyzję.")
    assert "Łącznie na decyzję czeka 60 zgłoszeń." in mine[2][1]
    assert mine[2][1].endswith("Lista z poleceniami przyjęcia i odrzucenia: /zgloszenia cyfrowe")

    # one open request per account: a filed one cannot ask again
    again = await chat.text(filed[0], "/zglos")
    assert again.startswith("Masz już zgłoszenie czekające na koordynatora")
    # /zgloszenia pages through all 60, a phone screen at a time
    first = await chat.say(cast.coordinator, "/zgloszenia cyfrowe")
    assert first[0].text.startswith("Na decyzję czeka 60 zgłoszeń (strona 1 z 8).")
    assert len(first[0].text) < 1500 and first[0].text.count("/przyjmij ") == 8
    assert [a.command for a in first[0].actions] == ["/zgloszenia cyfrowe 2"]
    last = await chat.text(cast.coordinator, "/zgloszenia cyfrowe 8")
    assert last.startswith("Na decyzję czeka 60 zgłoszeń (strona 8 z 8).")
    assert last.count("/odrzuc ") == 4
    with seeded.session() as s:
        newest = s.exec(
            select(JoinRequest)
            .where(JoinRequest.status == JoinStatus.OPEN)
            .order_by(col(JoinRequest.submitted_at).desc(), col(JoinRequest.id).desc())
        ).first()
    assert newest is not None and f"/przyjmij {newest.id} cyfrowe" in last


async def test_a_genuine_request_is_told_once_and_later_ones_wait_for_the_window(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    other = DueDispatcher(seeded, clock, settings)  # a second process
    jobs = DueDispatcher(seeded, clock, settings)
    start = clock.now()
    await answer_join_questions(chat, "tg-701", "cyfrowe")
    await asyncio.gather(jobs.run_once(), other.run_once())  # the next tick, twice at once
    told = summaries(seeded)[str(cast.coordinator)]
    assert len(told) == 1
    assert told[0][1].startswith(
        "📥 MIASTO CYFROWE: 1 nowe zgłoszenie czeka na Twoją decyzję.\n\n"
        "Zgłoszenie nr 1 do sieci MIASTO CYFROWE:\nMarta Kwiatkowska"
    )

    clock.advance(timedelta(minutes=5))
    await answer_join_questions(chat, "tg-702", "cyfrowe")
    while clock.now() < start + timedelta(minutes=29):
        await jobs.run_once()
        assert len(summaries(seeded)[str(cast.coordinator)]) == 1  # not before the window ends
        clock.advance(timedelta(minutes=4))
    clock.set(start + timedelta(minutes=30))
    await jobs.run_once()
    await other.run_once()
    told = summaries(seeded)[str(cast.coordinator)]
    assert len(told) == 2 and told[1][0] - told[0][0] == timedelta(minutes=30)
    assert told[1][1].startswith("📥 MIASTO CYFROWE: 1 nowe zgłoszenie czeka na Twoją decyzję.")
    assert (
        "Zgłoszenie nr 2 do sieci" in told[1][1]
        and "Łącznie na decyzję czekają 2 zgłoszenia." in told[1][1]
    )

    for n, who in enumerate(("tg-703", "tg-704", "tg-705")):  # three within the next window
        clock.advance(timedelta(minutes=1))
        await answer_join_questions(chat, who, "cyfrowe" if n < 2 else "zielone")
        await jobs.run_once()
    assert len(summaries(seeded)[str(cast.coordinator)]) == 2
    # zielone had no summary yet: its coordinator hears at once
    assert len(summaries(seeded)[str(cast.other_coordinator)]) == 1
    clock.set(start + timedelta(minutes=60))
    await jobs.run_once()
    told = summaries(seeded)[str(cast.coordinator)]
    assert len(told) == 3
    assert told[2][1].startswith(
        "📥 MIASTO CYFROWE: 2 nowe zgłoszenia czekają na Twoją decyzję.\n"
        "Łącznie na decyzję czekają 4 zgłoszenia."
    )

    # decided before its summary was due: nothing to tell, no summary spent
    clock.advance(timedelta(minutes=5))
    await answer_join_questions(chat, "tg-706", "cyfrowe")
    assert (await chat.text(cast.coordinator, "/odrzuc 6 cyfrowe")).startswith("Odrzucono")
    clock.set(start + timedelta(minutes=95))
    await jobs.run_once()
    assert len(summaries(seeded)[str(cast.coordinator)]) == 3


async def test_the_hourly_cap_refuses_politely_and_keeps_the_answers(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    tight = settings.model_copy(update={"join_requests_per_hour": 2})
    chat = Chat(Router(seeded, clock, tight))
    for who in ("tg-801", "tg-802"):
        replies = await answer_join_questions(chat, who, "cyfrowe")
        assert replies[-1].startswith("Dziękuję!")
    replies = await answer_join_questions(chat, "tg-803", "cyfrowe")
    assert replies[-1] == CAP_TEXT
    assert await chat.text("tg-803", "zielone") != CAP_TEXT  # another network still takes it
    [late] = [r for r in requests(seeded, JoinStatus.OPEN) if r.external_id == "tg-803"]
    assert late.networks == ["zielone"] and late.name == "Marta Kwiatkowska"

    replies = await answer_join_questions(chat, "tg-804", "cyfrowe")
    assert replies[-1] == CAP_TEXT
    coordinator = find_cast(seeded).coordinator
    assert (await chat.text(coordinator, "/odrzuc 1 cyfrowe")).startswith("Odrzucono")
    # a decided request no longer counts: the same answer is taken now
    assert (await chat.text("tg-804", "cyfrowe")).startswith("Dziękuję! Twoje zgłoszenie nr 4")
    replies = await answer_join_questions(chat, "tg-805", "cyfrowe")
    assert replies[-1] == CAP_TEXT
    clock.advance(timedelta(minutes=61))  # an hour later it is taken too
    assert (await chat.text("tg-805", "cyfrowe")).startswith("Dziękuję! Twoje zgłoszenie nr 5")
    open_now = {r.external_id for r in requests(seeded, JoinStatus.OPEN)}
    assert open_now == {"tg-802", "tg-803", "tg-804", "tg-805"}


async def test_only_those_who_decide_see_the_list_and_it_goes_privately(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    await answer_join_questions(chat, "tg-901", "cyfrowe")
    empty = await chat.text(cast.other_coordinator, "/zgloszenia")
    assert empty == "Żadne zgłoszenie nie czeka na Twoją decyzję."
    assert (await chat.text(cast.other_coordinator, "/zgloszenia cyfrowe")).startswith(
        "Nie masz uprawnień"
    )
    refused = await chat.text(cast.laureate_rep, "/zgloszenia")
    assert refused.startswith("Nie masz uprawnień do polecenia /zgloszenia")
    in_group = await chat.say(cast.coordinator, "/zgloszenia", chat="cyfrowe")
    assert in_group[0].to is not None and in_group[0].to.chat_id == str(cast.coordinator)
    assert in_group[0].text == (
        "Na decyzję czeka 1 zgłoszenie (strona 1 z 1).\n\n"
        "nr 1 · Marta Kwiatkowska, Naczelnik Wydziału Cyfryzacji\n"
        "Płock · m.kwiatkowska@plock.eu · 23.11.2026 10:00\n"
        "/przyjmij 1 cyfrowe · /odrzuc 1 cyfrowe"
    )
    team = await chat.text(cast.team, "/zgloszenia")
    assert "— MIASTO CYFROWE —" in team and "/przyjmij 1 cyfrowe" in team


async def test_requests_never_filed_are_forgotten_after_14_days(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    await chat.text("tg-951", "/zglos")
    await chat.text("tg-951", "Płock")  # and never finished
    await answer_join_questions(chat, "tg-952", "cyfrowe")  # filed: kept until decided/lapsed
    await chat.text("tg-953", "/zglos")
    await chat.text("tg-953", "/anuluj")
    jobs = DueDispatcher(seeded, clock, settings)
    clock.advance(timedelta(days=13))
    await jobs.run_once()
    await jobs.run_once()
    assert len(requests(seeded, JoinStatus.DRAFT)) == 1
    clock.advance(timedelta(days=2))
    await jobs.run_once()
    await jobs.run_once()
    with seeded.session() as s:
        left = s.exec(select(JoinRequest)).all()
    assert [(r.external_id, r.status) for r in left] == [("tg-952", "expired")]
