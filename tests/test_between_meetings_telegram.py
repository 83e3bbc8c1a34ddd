"""Between meetings on Telegram (the real python-telegram-bot against the fake Bot API): the
work plan's action reaches its owners with buttons, the reminder's "Zrobione" button closes it,
the contract is acknowledged by its button; a consultation goes out with its document, opinions
are typed privately and the coordinator gets the opinions as files; a need is reported in the
group and answered privately. The group sees none of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory
from models.consultations import Need, Opinion
from models.core import City, Person
from models.db import Database
from models.workplan import ActionStatus, ContractAck, PlanAction
from tests.cast import Cast, find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import link, telegram_settings

GROUP = -100777
COORD, REP, REP2, OBSERVER = 401, 402, 403, 404
WARSAW = ZoneInfo("Europe/Warsaw")
PDF = b"%PDF-1.4 mapa procesow"


@pytest.fixture
async def setup(
    api: FakeBotApi, seeded: Database, clock: FrozenClock, settings: Settings
) -> AsyncIterator[tuple[OutboxDispatcher, DueDispatcher, Cast]]:
    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    transport = TelegramTransport(Router(seeded, clock, tg_settings), tg_settings)
    await transport.start()
    cast = find_cast(seeded)
    for person, user in (
        (cast.coordinator, COORD),
        (cast.laureate_rep, REP),
        (cast.laureate_rep2, REP2),
        (cast.observer_rep, OBSERVER),
    ):
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
    )
    await transport.stop()


def keyboard(call: object) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {}  # type: ignore[attr-defined]
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


def last_with(api: FakeBotApi, user: int, text: str) -> object:
    return [c for c in api.sent("sendMessage", user) if text in c.params["text"]][-1]


async def deliver(api: FakeBotApi, outbox: OutboxDispatcher, check: object) -> None:
    for _ in range(200):
        await outbox.run_once()
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not delivered")


def city(db: Database, person: int) -> str:
    with db.session() as s:
        p = s.get(Person, person)
        found = s.get(City, p.city_id if p else None)
        assert found is not None
        return found.name


async def test_an_action_its_reminder_button_and_the_contract_button(
    api: FakeBotApi,
    seeded: Database,
    clock: FrozenClock,
    setup: tuple[OutboxDispatcher, DueDispatcher, Cast],
) -> None:
    outbox, jobs, cast = setup
    lomza = city(seeded, cast.laureate_rep)
    await api.inject(
        tg.message(
            tg.user(COORD),
            tg.group_chat(GROUP),
            f"/dzialanie_dodaj cyfrowe; Ankieta o e-usługach; {lomza}; 7.12.2026",
        )
    )
    await api.wait_for(lambda: any("Działanie nr 1" in t for t in api.texts(COORD)))
    await deliver(api, outbox, lambda: any("Nowe działanie" in t for t in api.texts(REP2)))
    told = last_with(api, REP, "Nowe działanie")
    assert list(keyboard(told)) == ["W toku", "Zrobione", "Napisz stan"]

    clock.set(datetime(2026, 11, 30, 9, 1, tzinfo=WARSAW).astimezone(UTC))
    await jobs.run_once()
    await deliver(api, outbox, lambda: any("Termin działania nr 1" in t for t in api.texts(REP)))
    reminder = last_with(api, REP, "Termin działania nr 1")
    await api.inject(
        tg.callback(tg.user(REP), tg.private_chat(REP), keyboard(reminder)["Zrobione"])
    )
    await api.wait_for(lambda: any("Działanie nr 1 — zrobione" in t for t in api.texts(REP)))
    with seeded.session() as s:
        action = s.get(PlanAction, 1)
        assert action is not None and action.status == ActionStatus.DONE
    # the other owner's old button still answers, politely: the coordinator may reopen it
    other = last_with(api, REP2, "Termin działania nr 1")
    await api.inject(tg.callback(tg.user(REP2), tg.private_chat(REP2), keyboard(other)["W toku"]))
    await api.wait_for(lambda: any("może koordynator" in t for t in api.texts(REP2)))

    # the contract, set privately, comes to each representative with its button
    await api.inject(
        tg.message(
            tg.user(COORD), tg.private_chat(COORD), "/kontrakt_ustaw cyfrowe 1. Szanujemy czas."
        )
    )
    await api.wait_for(lambda: any("Wersja 1 kontraktu" in t for t in api.texts(COORD)))
    await deliver(api, outbox, lambda: any("Kontrakt sieci" in t for t in api.texts(REP)))
    contract = last_with(api, REP, "Kontrakt sieci")
    await api.inject(
        tg.callback(
            tg.user(REP), tg.private_chat(REP), keyboard(contract)["Akceptuję w imieniu miasta"]
        )
    )
    await api.wait_for(lambda: any(f"Dziękuję: {lomza} akceptuje" in t for t in api.texts(REP)))
    with seeded.session() as s:
        [ack] = s.exec(select(ContractAck)).all()
        assert ack.person_id == cast.laureate_rep
    assert api.texts(GROUP) == []  # nothing of it in the shared room


async def test_a_consultation_with_its_document_opinions_and_a_need(
    api: FakeBotApi,
    seeded: Database,
    clock: FrozenClock,
    setup: tuple[OutboxDispatcher, DueDispatcher, Cast],
) -> None:
    outbox, jobs, cast = setup
    api.files["doc-1"] = ("mapa_procesow.pdf", PDF)
    await api.inject(
        tg.document(
            tg.user(COORD),
            tg.private_chat(COORD),
            "doc-1",
            "mapa_procesow.pdf",
            len(PDF),
            caption="/konsultacja cyfrowe; Mapa procesów; 7.12.2026 12:00; wszyscy",
        )
    )
    await api.wait_for(lambda: any("Konsultacja nr 1" in t for t in api.texts(COORD)))
    await deliver(
        api,
        outbox,
        lambda: any(
            d.files["document"][0] == "mapa_procesow.pdf"
            for d in api.sent("sendDocument", OBSERVER)
        ),
    )
    invitation = last_with(api, REP, "Konsultacja nr 1 sieci MIASTO CYFROWE")
    assert "Dokument w załączniku: mapa_procesow.pdf" in invitation.params["text"]  # type: ignore[attr-defined]
    assert "Napisz opinię" in keyboard(invitation)
    [document] = api.sent("sendDocument", REP)
    assert document.files["document"][1] == PDF

    # by the button: the bot asks, the next message is the opinion
    await api.inject(
        tg.callback(tg.user(REP), tg.private_chat(REP), keyboard(invitation)["Napisz opinię"])
    )
    await api.wait_for(lambda: any("napisz opinię w jednej" in t for t in api.texts(REP)))
    await api.inject(tg.message(tg.user(REP), tg.private_chat(REP), "Mapa jest czytelna."))
    await api.wait_for(lambda: any("Twoja opinia" in t and "zapisana" in t for t in api.texts(REP)))
    await api.inject(
        tg.message(tg.user(OBSERVER), tg.private_chat(OBSERVER), "/opinia 1 Brakuje e-doręczeń.")
    )
    await api.wait_for(lambda: any("zapisana" in t for t in api.texts(OBSERVER)))
    with seeded.session() as s:
        opinions = {o.person_id: o.text for o in s.exec(select(Opinion))}
    assert opinions == {
        cast.laureate_rep: "Mapa jest czytelna.",
        cast.observer_rep: "Brakuje e-doręczeń.",
    }

    # a need typed in the group: the answer goes privately
    await api.inject(
        tg.message(
            tg.user(REP2), tg.group_chat(GROUP), "/potrzeba Szkolenie z dostępności cyfrowej"
        )
    )
    await api.wait_for(lambda: any("potrzeba nr 1" in t for t in api.texts(REP2)))
    with seeded.session() as s:
        [need] = s.exec(select(Need)).all()
        assert need.person_id == cast.laureate_rep2

    # the deadline: the coordinator gets the opinions as a CSV and a PDF, privately
    clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=WARSAW).astimezone(UTC))
    await jobs.run_once()
    await deliver(
        api,
        outbox,
        lambda: (
            {d.files["document"][0] for d in api.sent("sendDocument", COORD)}
            >= {"opinie_konsultacja_1.csv", "opinie_konsultacja_1.pdf"}
        ),
    )
    assert any("opinie od 2 z 9" in t for t in api.texts(COORD))
    assert not any("Konsultacja" in t or "potrzeba" in t for t in api.texts(GROUP))
    assert api.sent("sendDocument", GROUP) == []
