"""Announcements end to end through the router and the console transport, on both stores."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.outbox import OutboxDispatcher
from bot.pacing import Limits, Pacer
from bot.router import Router
from bot.transports.console import ConsoleTransport
from core.clock import FrozenClock
from core.config import Settings
from core.messages import File, Outgoing
from jobs.dispatch import DueDispatcher
from models import directory
from models.announcements import Announcement
from models.core import Account, Person
from models.db import Database
from models.enums import Role, Standing
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat


async def run_flow(chat: Chat, who: int, room: str | None, *answers: str) -> list[Outgoing]:
    replies = await chat.say(who, "/ogloszenie", chat=room)
    for answer in answers:
        replies = await chat.say(who, answer, chat=room)
    return replies


def number_of(preview: Outgoing) -> int:
    match = re.search(r"nr (\d+)", preview.text)
    assert match, preview.text
    return int(match.group(1))


def reach(preview: Outgoing) -> tuple[int, int]:
    """ "Ogłoszenie trafi na 1 czat grupowy i prywatnie do 12 osób." → (1, 12)"""
    match = re.search(
        r"Ogłoszenie trafi na (\d+) (?:czat grupowy|czaty grupowe|czatów grupowych)"
        r"(?: i prywatnie do (\d+) (?:osoby|osób))?\.",
        preview.text,
    )
    assert match, preview.text
    return int(match.group(1)), int(match.group(2) or 0)


def expected_people(db: Database, code: str, standing_ok: object = None) -> set[int]:
    with db.session() as s:
        network = directory.require_network(s, code)
        found = set()
        for person, role, _city in directory.members(s, network.id or 0):
            if role == Role.COORDINATING_TEAM:
                continue
            standing = directory.standing_of(s, person.city_id, network.id)
            if standing_ok is None or (role == Role.REPRESENTATIVE and standing_ok(standing)):
                found.add(person.id or 0)
        return found


@pytest.fixture
def console(router: Router) -> tuple[ConsoleTransport, io.StringIO]:
    out = io.StringIO()
    return ConsoleTransport(router, io.StringIO(), out, "/tmp"), out


async def test_guided_announcement_preview_confirm_and_delivery(
    chat: Chat,
    seeded: Database,
    clock: FrozenClock,
    settings: Settings,
    console: tuple[ConsoleTransport, io.StringIO],
) -> None:
    cast = find_cast(seeded)
    text = "**Spotkanie** sieci 12 maja.\n- agenda w załączniku\n- [rejestracja](https://zmp.pl)"
    [preview] = await run_flow(
        chat,
        cast.coordinator,
        "cyfrowe",
        text,
        "bez",
        "cyfrowe",
        "wszyscy",
        "prywatnie",
        "tak",
        "teraz",
    )
    people = expected_people(seeded, "cyfrowe")
    assert reach(preview) == (1, len(people))
    assert "Odbiorcy: wszyscy, także obserwatorzy" in preview.text and text in preview.text
    assert [a.command for a in preview.actions] == [
        f"/ogloszenie_wyslij {number_of(preview)}",
        f"/ogloszenie_anuluj {number_of(preview)}",
    ]
    with seeded.session() as s:
        assert s.exec(select(OutboxMessage)).all() == []  # nothing before confirmation

    [sent] = await chat.say(cast.coordinator, preview.actions[0].command, chat="cyfrowe")
    assert sent.text.startswith("Wysyłam ogłoszenie nr") and reach(sent) == (1, len(people))
    transport, out = console
    delivered = await OutboxDispatcher(seeded, clock, {"console": transport}).run_once()
    assert delivered == 1 + len(people)
    printed = out.getvalue()
    assert printed.count("📣 Ogłoszenie — MIASTO CYFROWE") == 1 + len(people)
    with seeded.session() as s:
        rows = s.exec(select(OutboxMessage)).all()
        assert {r.status for r in rows} == {"sent"}
        assert {r.person_id for r in rows if r.person_id} == people
        assert [r.payload["pin"] for r in rows if not r.person_id] == [True]

    # the author is told how it went once nothing is waiting
    assert await DueDispatcher(seeded, clock, settings).run_once() == 1
    with seeded.session() as s:
        [report] = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "report")).all()
    assert report.chat_id == str(cast.coordinator)
    assert f"Osoby: wysłane {len(people)}, nieudane 0" in report.payload["text"]
    assert await DueDispatcher(seeded, clock, settings).run_once() == 0  # reported once


async def test_confirming_twice_sends_once(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    [preview] = await run_flow(
        chat, cast.coordinator, None, "Tekst", "bez", "cyfrowe", "wszyscy", "czaty", "nie", "teraz"
    )
    await chat.say(cast.coordinator, preview.actions[0].command)
    again = await chat.text(cast.coordinator, preview.actions[0].command)
    assert "zostało już potwierdzone" in again
    with seeded.session() as s:
        assert len(s.exec(select(OutboxMessage)).all()) == 1  # the one console chat


async def test_core_and_leaders_audiences(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    [core] = await run_flow(
        chat, cast.coordinator, None, "Tylko rdzeń", "bez", "cyfrowe", "rdzen", "teraz"
    )
    core_people = expected_people(seeded, "cyfrowe", lambda st: st and st != Standing.OBSERVER)
    assert reach(core) == (0, len(core_people))
    assert "tylko prywatnie" in core.text
    await chat.say(cast.coordinator, core.actions[0].command)
    with seeded.session() as s:
        got = {r.person_id for r in s.exec(select(OutboxMessage)).all()}
    assert got == core_people and cast.observer_rep not in got

    [leaders] = await run_flow(
        chat, cast.team, None, "Do liderów", "bez", "wszystkie", "liderzy", "teraz"
    )
    with seeded.session() as s:
        mayors = {p.id for p in s.exec(select(Person)).all() if p.office != "official"}
    assert reach(leaders) == (0, len(mayors))


async def test_who_may_send_where(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    assert "Ogłoszenia wysyłają tylko" in await chat.text(cast.laureate_rep, "/ogloszenie")
    refused = await run_flow(chat, cast.other_coordinator, None, "x", "bez", "cyfrowe")
    assert "Nie masz uprawnień" in refused[0].text
    refused = await run_flow(chat, cast.coordinator, None, "x", "bez", "wszystkie")
    assert "Nie masz uprawnień" in refused[0].text
    [team] = await run_flow(
        chat, cast.team, None, "x", "bez", "wszystkie", "wszyscy", "czaty", "nie", "teraz"
    )
    assert reach(team) == (8, 0)  # the eight console network chats


async def test_bad_answers_in_the_flow_are_explained(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    replies = await run_flow(chat, cast.coordinator, None, "Treść", "bez", "nic")
    assert "Nieznana sieć „nic”" in replies[0].text
    assert "Kto ma je otrzymać" in (await chat.say(cast.coordinator, "cyfrowe"))[0].text
    assert "Kto ma je otrzymać" in (await chat.say(cast.coordinator, "może"))[0].text
    await chat.say(cast.coordinator, "wszyscy")
    await chat.say(cast.coordinator, "czaty")
    await chat.say(cast.coordinator, "nie")
    assert "przeszłość" in await chat.text(cast.coordinator, "1.01.2020 10:00")
    assert "nie istnieje" in await chat.text(cast.coordinator, "30.02.2027 10:00")
    assert "podgląd" in await chat.text(cast.coordinator, "jutro 9:00")


async def test_scheduled_announcement_goes_at_its_time_and_can_be_cancelled(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    [first] = await run_flow(
        chat,
        cast.coordinator,
        None,
        "Jutro rano",
        "bez",
        "cyfrowe",
        "wszyscy",
        "czaty",
        "nie",
        "jutro 9:00",
    )
    [second] = await run_flow(
        chat,
        cast.coordinator,
        None,
        "Odwołane",
        "bez",
        "cyfrowe",
        "wszyscy",
        "czaty",
        "nie",
        "jutro 9:00",
    )
    assert "Zaplanuj" in [a.label for a in first.actions]
    assert "zaplanowano" in (await chat.text(cast.coordinator, first.actions[0].command)).lower()
    await chat.say(cast.coordinator, second.actions[0].command)
    assert "anulowano" in await chat.text(
        cast.coordinator, f"/ogloszenie_anuluj {number_of(second)}"
    )
    listing = await chat.say(cast.coordinator, "/ogloszenia")
    assert "zaplanowane" in listing[0].text and "anulowane" in listing[0].text

    jobs = DueDispatcher(seeded, clock, settings)
    await jobs.run_once()
    with seeded.session() as s:
        assert s.exec(select(OutboxMessage)).all() == []
    clock.advance(timedelta(days=1))  # 10:00 Warsaw today → 10:00 tomorrow is past 9:00
    await jobs.run_once()
    await jobs.run_once()  # nothing twice
    with seeded.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "announcement")).all()
        assert [r.announcement_id for r in rows] == [number_of(first)]
        assert s.get(Announcement, number_of(second)).status == "cancelled"
    assert "już wysłane" in await chat.text(
        cast.coordinator, f"/ogloszenie_anuluj {number_of(first)}"
    )


async def test_attachment_and_delivery_report_with_failures(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    await chat.say(cast.coordinator, "/ogloszenie")
    replies = await chat.router.handle(_with_file(cast.coordinator))
    assert "Do których sieci" in replies[-1].text  # text + file in one message
    for answer in ("cyfrowe", "rdzen"):
        await chat.say(cast.coordinator, answer)
    [preview] = await chat.say(cast.coordinator, "teraz")
    assert "Załącznik: tak" in preview.text
    await chat.say(cast.coordinator, preview.actions[0].command)

    class Flaky:
        platform = "console"
        max_text = 4096
        pacer = Pacer(Limits(0.0, 1000, 1000), lambda chat_id: False)
        seen: dict[str, list[str]] = {}

        async def send_part(self, target, part):  # a platform that refuses one person
            from bot.transports import DeliveryError

            if target.chat_id == str(cast.laureate_rep):
                raise DeliveryError("forbidden: bot was blocked by the user", permanent=True)
            self.seen.setdefault(target.chat_id, []).append(
                part.file.name if part.file else part.kind
            )
            return str(len(self.seen))

        async def edit(self, target, message_id, message):
            raise AssertionError("nothing is edited here")

    flaky = Flaky()
    await OutboxDispatcher(seeded, clock, {"console": flaky}).run_once()
    assert flaky.seen and all(kinds == ["text", "agenda.pdf"] for kinds in flaky.seen.values())
    [report] = await chat.say(cast.coordinator, f"/ogloszenie_raport {number_of(preview)}")
    assert "nieudane 1" in report.text and "zablokowany" in report.text
    rows = list(csv.reader(io.StringIO(report.files[0].content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["typ", "odbiorca", "platforma", "stan", "powód", "czas"]
    failed = [r for r in rows[1:] if r[3] == "nieudane"]
    with seeded.session() as s:
        rep = s.get(Person, cast.laureate_rep)
    assert [r[1] for r in failed] == [rep.name]

    # weeks later the daily housekeeping keeps only the deliveries: the same report
    clock.advance(timedelta(days=settings.outbox_keep_days + 1))
    jobs = DueDispatcher(seeded, clock, settings)
    await jobs.run_once()
    await jobs.run_once()
    with seeded.session() as s:
        left = s.exec(
            select(OutboxMessage).where(OutboxMessage.announcement_id == number_of(preview))
        ).all()
    assert left == []
    [again] = await chat.say(cast.coordinator, f"/ogloszenie_raport {number_of(preview)}")
    assert again.text == report.text
    assert again.files[0].content == report.files[0].content


def _with_file(person: int):
    from core.messages import ChatRef, Incoming, Sender

    return Incoming(
        Sender("console", str(person)),
        ChatRef("console", str(person), True),
        text="Agenda spotkania",
        files=(File("agenda.pdf", b"%PDF-1.4 test", "application/pdf"),),
    )


async def test_erased_person_is_not_a_recipient(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    await chat.say(cast.laureate_rep, "/usun_dane potwierdzam")
    [preview] = await run_flow(
        chat, cast.coordinator, None, "x", "bez", "cyfrowe", "rdzen", "teraz"
    )
    with seeded.session() as s:
        linked = s.exec(select(Account.person_id)).all()
    assert cast.laureate_rep not in linked
    core = expected_people(seeded, "cyfrowe", lambda st: st and st != Standing.OBSERVER)
    assert reach(preview)[1] == len(core)  # members() already leaves the erased out


async def test_one_line_announcement_is_the_guides_draft(chat: Chat, seeded: Database) -> None:
    """`/ogloszenie` with its fields (what the staff desk sends) ends where the guide does."""
    cast = find_cast(seeded)
    [guided] = await run_flow(
        chat,
        cast.coordinator,
        None,
        "Treść; z średnikiem",
        "bez",
        "cyfrowe",
        "wszyscy",
        "prywatnie",
        "tak",
        "teraz",
    )
    [typed] = await chat.say(
        cast.coordinator,
        "/ogloszenie cyfrowe; wszyscy; prywatnie; przypnij; teraz; Treść; z średnikiem",
    )
    assert reach(typed) == reach(guided)
    assert typed.text.split("\n")[1:] == guided.text.split("\n")[1:]  # all but the number
    with seeded.session() as s:
        first, second = s.exec(select(Announcement).order_by(Announcement.id)).all()
    for field in ("text", "network_ids", "audience", "delivery", "pin", "send_at", "status"):
        assert getattr(first, field) == getattr(second, field), field
    # a restricted audience is reached privately whatever else was typed
    [core] = await chat.say(cast.coordinator, "/ogloszenie cyfrowe; rdzeń; czaty; tak; teraz; x")
    assert "tylko prywatnie" in core.text and "Przypięcie: nie" in core.text
    for line, reason in (
        ("/ogloszenie cyfrowe; nikt; czaty; nie; teraz; x", "/ogloszenie <sieci>; <wszyscy"),
        ("/ogloszenie cyfrowe; wszyscy; poczta; nie; teraz; x", "<czaty|prywatnie>"),
        ("/ogloszenie cyfrowe; wszyscy; czaty; nie; 1.01.2020 10:00; x", "przeszłość"),
        ("/ogloszenie zielone; wszyscy; czaty; nie; teraz; x", "Nie masz uprawnień"),
        ("/ogloszenie cyfrowe; wszyscy", "/ogloszenie <sieci>"),
    ):
        assert reason in await chat.text(cast.coordinator, line), line
    with seeded.session() as s:
        assert len(s.exec(select(Announcement)).all()) == 3
