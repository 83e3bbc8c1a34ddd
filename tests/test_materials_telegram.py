"""The meeting's materials on Telegram (the real python-telegram-bot against the fake Bot API):
the coordinator sends a document with `/material <meeting> …` as its caption; the bot
downloads it (getFile), keeps it once and the participant gets it as a document with its
text; the observer city gets only the open part's; the guided note is written in two messages
and kept between them; the group sees none of the closed part, and the archive answers
privately."""

from __future__ import annotations

from sqlmodel import select

from bot.outbox import OutboxDispatcher
from core.clock import FrozenClock
from jobs.dispatch import DueDispatcher
from models.blobs import Blob
from models.db import Database
from models.materials import Material, MaterialKind
from tests.cast import Cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.materials_data import meeting_held
from tests.test_between_meetings_telegram import (
    COORD,
    GROUP,
    OBSERVER,
    REP,
    REP2,
    deliver,
    setup,  # noqa: F401  (the fixture the test takes)
)

PPTX = b"PK\x03\x04 prezentacja z warsztatow" * 50
PDF = b"%PDF-1.4 wyklad otwarty"


async def test_a_document_the_open_part_and_the_guided_note(
    api: FakeBotApi,
    seeded: Database,
    clock: FrozenClock,
    setup: tuple[OutboxDispatcher, DueDispatcher, Cast],  # noqa: F811
) -> None:
    outbox, _jobs, cast = setup
    number = meeting_held(seeded, cast, clock.now(), observer_came=False)
    api.files["doc-1"] = ("warsztaty.pptx", PPTX)
    await api.inject(
        tg.document(
            tg.user(COORD),
            tg.private_chat(COORD),
            "doc-1",
            "warsztaty.pptx",
            len(PPTX),
            caption=f"/material {number} Prezentacja z warsztatów",
            mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        )
    )
    await api.wait_for(lambda: any("Zapisane w archiwum sieci" in t for t in api.texts(COORD)))
    await deliver(api, outbox, lambda: bool(api.sent("sendDocument", REP)))
    [document] = api.sent("sendDocument", REP)
    assert document.files["document"] == ("warsztaty.pptx", PPTX)  # type: ignore[attr-defined]
    assert any("warsztaty.pptx — Prezentacja z warsztatów" in t for t in api.texts(REP))
    with seeded.session() as s:
        [blob] = s.exec(select(Blob)).all()
        assert blob.content == PPTX
    assert api.sent("sendDocument", REP2) == []  # declined: did not take part
    assert api.sent("sendDocument", OBSERVER) == []  # the closed part's

    # the open part's: to the observer city and into the group
    api.files["doc-2"] = ("wyklad.pdf", PDF)
    await api.inject(
        tg.document(
            tg.user(COORD),
            tg.private_chat(COORD),
            "doc-2",
            "wyklad.pdf",
            len(PDF),
            caption=f"/material {number} otwarta Wykład",
        )
    )
    await deliver(
        api,
        outbox,
        lambda: (
            any(d.files["document"][0] == "wyklad.pdf" for d in api.sent("sendDocument", OBSERVER))
            and bool(api.sent("sendDocument", GROUP))
        ),
    )
    [in_group] = api.sent("sendDocument", GROUP)
    assert in_group.files["document"] == ("wyklad.pdf", PDF)  # type: ignore[attr-defined]

    # the note, guided: two messages kept, then sent
    await api.inject(tg.message(tg.user(COORD), tg.private_chat(COORD), f"/notatka {number}"))
    await api.wait_for(lambda: any("napisz ją w jednej" in t for t in api.texts(COORD)))
    await api.inject(tg.message(tg.user(COORD), tg.private_chat(COORD), "Wnioski: standard."))
    await api.wait_for(lambda: any("Zachowane" in t for t in api.texts(COORD)))
    await api.inject(tg.message(tg.user(COORD), tg.private_chat(COORD), "Następny krok: ankieta."))
    await api.wait_for(lambda: sum("Zachowane" in t for t in api.texts(COORD)) == 2)
    await api.inject(tg.message(tg.user(COORD), tg.private_chat(COORD), "wyślij"))
    await deliver(api, outbox, lambda: any("Następny krok: ankieta." in t for t in api.texts(REP)))
    with seeded.session() as s:
        [note] = s.exec(select(Material).where(Material.kind == MaterialKind.NOTE)).all()
        assert note.body == "Wnioski: standard.\n\nNastępny krok: ankieta."

    # the archive, typed in the group, answered privately
    await api.inject(tg.message(tg.user(REP), tg.group_chat(GROUP), "/materialy"))
    await api.wait_for(lambda: any("Notatki i materiały sieci" in t for t in api.texts(REP)))
    assert not any("Notatki i materiały" in t for t in api.texts(GROUP))
    assert not any("warsztaty.pptx" in t or "Wnioski" in t for t in api.texts(GROUP))
