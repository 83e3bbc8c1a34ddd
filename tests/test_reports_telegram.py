"""The coordinator's report on Telegram (the real python-telegram-bot against the fake Bot API):
typed in the group, the form comes privately with its buttons; a section is written by its
button and the next message, the rest in one message; the submit button sends it; the
coordinating team is told privately and its "PDF i DOCX" button brings both files, with the
Polish text. The group sees none of it."""

# ruff: noqa: F811  (the tests take the `setup` fixture imported below)

from __future__ import annotations

import io
from datetime import UTC, datetime

from docx import Document
from pypdf import PdfReader

from bot.outbox import OutboxDispatcher
from core.clock import FrozenClock
from jobs.dispatch import DueDispatcher
from models.db import Database
from tests.cast import Cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.test_between_meetings_telegram import (
    COORD,
    GROUP,
    WARSAW,
    deliver,
    keyboard,
    last_with,
    setup,  # noqa: F401  (the fixture)
)
from tests.test_telegram import link

TEAM = 409


async def test_the_report_written_by_buttons_submitted_and_the_team_gets_the_files(
    api: FakeBotApi,
    seeded: Database,
    clock: FrozenClock,
    setup: tuple[OutboxDispatcher, DueDispatcher, Cast],
) -> None:
    outbox, _jobs, cast = setup
    link(seeded, cast.team, TEAM)
    await api.inject(
        tg.message(
            tg.user(COORD),
            tg.private_chat(COORD),
            "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4",
        )
    )
    await deliver(api, outbox, lambda: any("Spotkanie nr 1" in t for t in api.texts(COORD)))
    clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=WARSAW).astimezone(UTC))

    await api.inject(tg.message(tg.user(COORD), tg.group_chat(GROUP), "/raport_koordynatora 1"))
    await deliver(
        api,
        outbox,
        lambda: any("Raport koordynatora ze spotkania nr 1" in t for t in api.texts(COORD)),
    )
    form = last_with(api, COORD, "Raport koordynatora ze spotkania nr 1")
    assert "Napisz część 1" in keyboard(form) and "Wyślij raport" in keyboard(form)
    assert any("Obecność:" in t for t in api.texts(COORD))  # what the bot knows, filled in

    await api.inject(
        tg.callback(tg.user(COORD), tg.private_chat(COORD), keyboard(form)["Napisz część 1"])
    )
    await deliver(
        api, outbox, lambda: any("Część 1 „Przebieg spotkania”" in t for t in api.texts(COORD))
    )
    await api.inject(
        tg.message(tg.user(COORD), tg.private_chat(COORD), "Gościliśmy w Łomży 14 miast.")
    )
    await deliver(api, outbox, lambda: any("1 część." in t for t in api.texts(COORD)))
    await api.inject(
        tg.message(
            tg.user(COORD),
            tg.private_chat(COORD),
            "/raport_zapisz 1 [2]\nPotrzebny wspólny standard.\n[3]\nWzór umowy.\n"
            "[4]\nAnkieta do stycznia — żółte karty.",
        )
    )
    await deliver(api, outbox, lambda: any("3 części." in t for t in api.texts(COORD)))
    form = last_with(api, COORD, "Raport koordynatora ze spotkania nr 1")
    await api.inject(
        tg.callback(tg.user(COORD), tg.private_chat(COORD), keyboard(form)["Wyślij raport"])
    )
    await deliver(api, outbox, lambda: any("jest wysłany" in t for t in api.texts(COORD)))

    await deliver(api, outbox, lambda: any("przesyła raport" in t for t in api.texts(TEAM)))
    notice = last_with(api, TEAM, "przesyła raport")
    await api.inject(
        tg.callback(tg.user(TEAM), tg.private_chat(TEAM), keyboard(notice)["PDF i DOCX"])
    )
    await deliver(api, outbox, lambda: len(api.sent("sendDocument", TEAM)) >= 2)
    files = {d.files["document"][0]: d.files["document"][1] for d in api.sent("sendDocument", TEAM)}
    pdf = next(v for k, v in files.items() if k.endswith(".pdf"))
    docx = next(v for k, v in files.items() if k.endswith(".docx"))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Gościliśmy w Łomży 14 miast." in text and "żółte karty" in text, text
    paragraphs = [p.text for p in Document(io.BytesIO(docx)).paragraphs]
    assert "Ankieta do stycznia — żółte karty." in paragraphs
    assert not any("raport" in t.lower() for t in api.texts(GROUP))
    assert not any(  # the group has the meeting's invitation (.ics), not the report
        d.files["document"][0].startswith("raport") for d in api.sent("sendDocument", GROUP)
    )
