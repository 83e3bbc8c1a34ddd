"""Funding calls on Telegram, through the real PTB client and the fake Bot API: an expert
imports a CSV privately, the weekly digest reaches the bound group (capped, with the full
list as a document), and a member follows a call from the digest's button."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory
from models.db import Database
from models.funding import FundingFollow
from tests.cast import Cast, find_cast
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import link, telegram_settings

GROUP = -100888
EXPERT, REP = 301, 302
CSV = (
    "tytul;grantodawca;link;termin;kwota;tagi\n"
    + "".join(
        f"Cyfryzacja urzędów {i};CPPC;https://cppc.gov.pl/n{i};{10 + i}.01.2027;{i}00000;e-usługi\n"
        for i in range(5)
    )
    + "Bez tytułu?;;ftp://zly-link;;;\n"
).encode()


@pytest.fixture
async def setup(
    api: FakeBotApi, seeded: Database, clock: FrozenClock, settings: Settings
) -> AsyncIterator[tuple[Settings, OutboxDispatcher, Cast]]:
    tg_settings = telegram_settings(settings, f"http://127.0.0.1:{api.port}", funding_digest_cap=3)
    transport = TelegramTransport(Router(seeded, clock, tg_settings), tg_settings)
    await transport.start()
    cast = find_cast(seeded)
    link(seeded, cast.expert, EXPERT)
    link(seeded, cast.laureate_rep, REP)
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
    yield tg_settings, OutboxDispatcher(seeded, clock, {"telegram": transport}), cast
    await transport.stop()


async def test_import_digest_and_follow_button(
    api: FakeBotApi,
    seeded: Database,
    clock: FrozenClock,
    setup: tuple[Settings, OutboxDispatcher, Cast],
) -> None:
    tg_settings, outbox, cast = setup
    api.files["csv-1"] = ("konkursy.csv", CSV)
    await api.inject(
        tg.document(
            tg.user(EXPERT),
            tg.private_chat(EXPERT),
            "csv-1",
            "konkursy.csv",
            len(CSV),
            caption="/konkursy_import",
            mime="text/csv",
        )
    )
    await api.wait_for(lambda: any("Import:" in t for t in api.texts(EXPERT)))
    report = next(t for t in api.texts(EXPERT) if "Import:" in t)
    assert "nowe 5" in report and "odrzucone 1" in report and "wiersz 7" in report

    await DueDispatcher(seeded, clock, tg_settings, owner="t").run_once()
    await outbox.run_once()
    [digest] = [
        c for c in api.sent("sendMessage", GROUP) if "przegląd tygodniowy" in c.params["text"]
    ]
    text = digest.params["text"]
    assert "<b>NOWE</b> (5)" in text
    assert '<a href="https://cppc.gov.pl/n0">Cyfryzacja urzędów 0</a>' in text
    assert "…i jeszcze 2: pełna lista" in text
    [document] = api.sent("sendDocument", GROUP)
    assert document.files["document"][0] == "konkursy_cyfrowe.csv"
    buttons = [b for row in digest.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["text"] == "Obserwuj nr 1"

    await api.inject(tg.callback(tg.user(REP), tg.group_chat(GROUP), buttons[0]["callback_data"]))
    await api.wait_for(lambda: any("Obserwujesz konkurs nr 1" in t for t in api.texts(REP)))
    assert not any("Obserwujesz" in t for t in api.texts(GROUP))  # personal: not in the group
    with seeded.session() as s:
        follow = s.get(FundingFollow, 1)
    assert follow is not None and follow.person_id == cast.laureate_rep
