"""An office's first day, through the real CLI: an empty database, the roster imported from the
office's sheet, the first coordinator invited from the command line and linked over Telegram
(the fake Bot API), then binding the network's group."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import prepare_database
from bot.cli import main
from bot.router import Router
from bot.transports.telegram import TelegramTransport
from core.clock import FrozenClock
from core.config import Settings
from models import directory
from models.core import Person
from models.db import Database
from tests.conftest import BACKENDS, drop_database, fresh_database_url
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeBotApi
from tests.test_roster_import import ROWS, write_xlsx
from tests.test_telegram import telegram_settings

COORDINATOR_EMAIL = "m.zrebiec@zmp.poznan.pl"
GROUP = -1009876543210


@pytest.fixture(params=BACKENDS)
def url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A brand-new, empty database, as an office starts with; the CLI reads it from the env."""
    database_url = fresh_database_url(request.param, tmp_path, "empirie_cli")
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "EMPIRIE_SEED_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EMPIRIE_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    yield database_url
    if request.param == "postgres":
        drop_database(database_url)


def cli(clock: FrozenClock, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), clock=clock, out=out)
    return code, out.getvalue()


def test_import_people_and_export_from_the_command_line(
    url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "skład sieci.xlsx", ROWS)
    code, out = cli(clock, "roster", "import", str(sheet), "--dry-run")
    assert code == 0 and out.startswith("Próbny import — plik wprowadziłby ")
    code, out = cli(clock, "people", "cyfrowe")
    assert out.splitlines() == ["MIASTO CYFROWE (cyfrowe) — 0 osób"]

    code, out = cli(clock, "roster", "import", str(sheet))
    assert code == 0 and out.startswith("Zaimportowano plik i wprowadzono ")
    code, out = cli(clock, "people", "cyfrowe")
    assert (
        "Grażyna Żółkiewska <g.zolkiewska@um.lomza.pl>, Łomża (laureat) — "
        "przedstawiciel(ka) miasta — bez połączonego konta" in out
    )
    code, out = cli(clock, "roster", "import", str(sheet))
    assert out.strip() == "Skład już odpowiada plikowi: nie ma nic do zmiany."

    code, out = cli(clock, "roster", "export", str(tmp_path / "eksport.csv"))
    assert code == 0 and out.startswith("Zapisano 7 wierszy do pliku ")
    assert "Grażyna Żółkiewska" in (tmp_path / "eksport.csv").read_text(encoding="utf-8-sig")

    bad = write_xlsx(tmp_path / "zły.xlsx", [["cyfrowy", *ROWS[0][1:]]])
    code, out = cli(clock, "roster", "import", str(bad))
    assert code == 1 and "Wiersz 2: nieznany kod sieci „cyfrowy”" in out

    code, out = cli(clock, "invite", "nikt@nigdzie.pl")
    assert code == 1 and out.strip() == (
        "W składzie nie ma nikogo o numerze ani adresie e-mail „nikt@nigdzie.pl”."
    )


def test_platform_deployment_starts_with_networks_and_no_people(
    url: str, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    platform = Settings().model_copy(update={"telegram_bot_token": "123:ABC"})
    with caplog.at_level(logging.WARNING, logger="empirie.app"):
        db = prepare_database(platform, clock)
    with db.session() as s:
        assert len(directory.networks(s)) == 8
        assert s.exec(select(Person)).first() is None
    db.dispose()
    assert any("empirie-bot roster import FILE" in r.getMessage() for r in caplog.records)

    asked = platform.model_copy(update={"seed_demo": True})
    db = prepare_database(asked, clock)
    with db.session() as s:
        assert s.exec(select(Person)).first() is not None  # EMPIRIE_SEED_DEMO=true: demo cast
    db.dispose()


def test_console_on_a_database_of_its_own_loads_no_demo_cast(url: str, clock: FrozenClock) -> None:
    """An empty production database stays empty, even when the console runs on it."""
    db = prepare_database(Settings(), clock)
    with db.session() as s:
        assert s.exec(select(Person)).first() is None
    db.dispose()


def test_console_on_the_embedded_default_database_loads_the_demo_cast(
    url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMPIRIE_DATABASE_URL")  # the default: ./empirie.db in tmp_path
    settings = Settings()
    db = prepare_database(settings, clock)
    with db.session() as s:
        assert s.exec(select(Person)).first() is not None
    db.dispose()


async def test_first_coordinator_is_invited_from_the_cli_and_links_over_telegram(
    url: str, clock: FrozenClock, tmp_path: Path, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{api.port}")
    sheet = write_xlsx(tmp_path / "skład.xlsx", ROWS)
    assert (await asyncio.to_thread(cli, clock, "roster", "import", str(sheet)))[0] == 0
    code, out = await asyncio.to_thread(cli, clock, "invite", COORDINATOR_EMAIL)
    assert code == 0
    assert out.startswith("Małgorzata Źrebiec może dołączyć z kodem zaproszenia ")
    assert "Osoba wysyła botowi /start " in out and "ze mną" not in out  # the CLI is not the bot
    link = re.search(r"^• Telegram: https://t\.me/EmpirieTestBot\?start=([A-Z0-9]+)$", out, re.M)
    assert link is not None, out

    settings = telegram_settings(Settings(), f"http://127.0.0.1:{api.port}")
    db = Database(url)
    transport = TelegramTransport(Router(db, clock, settings), settings)
    await transport.start()
    try:
        koordynatorka = tg.user(222001, "Małgorzata", "gosia_zmp")
        await api.inject(
            tg.message(koordynatorka, tg.private_chat(222001), f"/start {link.group(1)}")
        )
        await api.wait_for(lambda: bool(api.texts(222001)))
        assert api.texts(222001)[0].startswith("Witaj, Małgorzata Źrebiec!")
        assert "MIASTO CYFROWE" in api.texts(222001)[0]

        group = tg.group_chat(GROUP)
        await api.inject(tg.message(koordynatorka, group, "/polacz@EmpirieTestBot cyfrowe"))
        await api.wait_for(lambda: bool(api.texts(GROUP)))
        assert api.texts(GROUP) == [
            "Ten czat jest teraz połączony z siecią MIASTO CYFROWE (cyfrowe)."
        ]
    finally:
        await transport.stop()
        db.dispose()
    code, out = await asyncio.to_thread(cli, clock, "people", "cyfrowe")
    assert (
        "Małgorzata Źrebiec <m.zrebiec@zmp.poznan.pl> — koordynator-facylitator — "
        "połączone konto: telegram" in out
    )


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"empirie-bot {version('empirie-bot')}"
