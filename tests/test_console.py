"""The console chat as a user runs it: `empirie-bot run` with piped stdin, on a fresh SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BOT = [sys.executable, "-m", "bot.cli", "run"]


def run_console(
    tmp_path: Path, script: str, timeout: float = 60, extra: dict[str, str] | None = None
) -> str:
    env = {
        **{k: v for k, v in os.environ.items() if k != "EMPIRIE_SEED_DEMO"},
        "EMPIRIE_DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
        "EMPIRIE_FILES_DIR": str(tmp_path / "files"),
        "TELEGRAM_BOT_TOKEN": "",
        "EMPIRIE_SEED_DEMO": "true",  # a database of its own: the demo cast only when asked
        **(extra or {}),
    }
    env = {k: v for k, v in env.items() if v != ""}  # "": unset
    done = subprocess.run(
        BOT, input=script, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("console")
    return tmp, run_console(tmp, "/kto cyfrowe\n/pomoc\n")


def test_first_run_loads_the_demo_networks(first_run: tuple[Path, str]) -> None:
    _, out = first_run
    assert "Konsola EMPIRIE" in out
    assert "koordynator-facylitator" in out and "MIASTO CYFROWE" in out
    assert "/start <kod>" in out  # nobody chosen yet: only what a stranger may do


def test_scripted_scenario_as_a_coordinator(first_run: tuple[Path, str]) -> None:
    tmp, listing = first_run
    coordinator = next(
        line.split()[0].lstrip("#")
        for line in listing.splitlines()
        if "koordynator-facylitator" in line
    )
    out = run_console(
        tmp,
        f"/jako {coordinator}\n/usun_dane\n/czat cyfrowe\n/pomoc\n"
        "/osoby\n/usun_dane\n/wyjdz\n/sieci\n",
    )
    assert "Polecenia dostępne dla Ciebie w sieci MIASTO CYFROWE" in out
    assert "/zaproszenie" in out and "Osoby w sieci MIASTO CYFROWE" in out
    assert "[1] Usuń moje dane" in out  # buttons are numbered (in the private chat only)
    assert out.count("[1] Usuń moje dane") == 1 and "naszym prywatnym czacie" in out
    assert "Sieci EMPIRIE" not in out  # /wyjdz ended the session before /sieci


def test_numbered_button_runs_its_command(first_run: tuple[Path, str]) -> None:
    tmp, listing = first_run
    rep = next(
        line.split()[0].lstrip("#") for line in listing.splitlines() if "przedstawiciel" in line
    )
    out = run_console(tmp, f"/jako {rep}\n/moje_dane\n/usun_dane\n7\n1\n/moje_dane\n")
    assert "Wybierz numer od 1 do 1." in out
    assert "Twoje dane osobowe zostały usunięte" in out
    assert out.rstrip().endswith("swój kod.")  # after erasure the bot no longer knows them
    assert list((tmp / "files").glob("moje_dane_*.json"))


def test_meeting_cycle_in_the_console(first_run: tuple[Path, str]) -> None:
    tmp, listing = first_run
    coordinator = next(
        line.split()[0].lstrip("#")
        for line in listing.splitlines()
        if "koordynator-facylitator" in line
    )
    rep = [
        line.split()[0].lstrip("#") for line in listing.splitlines() if "przedstawiciel" in line
    ][-1]  # not the one another test erases
    out = run_console(
        tmp,
        f"/jako {coordinator}\n/czat cyfrowe\n"
        "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; "
        "6; Łomża; ; 10; tak\n"
        f"/jako {rep}\n/czat prywatny\n/rsvp 1 stacjonarnie\n/moje_spotkania\n"
        f"/jako {coordinator}\n/obecnosc 1\n/lista_obecnosci 1\n",
    )
    assert "Spotkanie nr 1 opublikowane" in out
    assert "📅 Spotkanie nr 1 sieci MIASTO CYFROWE: Spotkanie II" in out  # delivered to the chat
    assert "Zapisano Cię na spotkanie nr 1 (stacjonarnie)" in out
    assert "Spotkanie II — Stacjonarnie" in out
    assert "Dotychczasowe odpowiedzi: stacjonarnie 1" in out
    assert (tmp / "files" / "lista_obecnosci_1.pdf").read_bytes().startswith(b"%PDF")


def test_an_empty_database_of_its_own_gets_no_demo_cast(tmp_path: Path) -> None:
    """`run` on a production database (not the embedded default) keeps it empty of the
    invented people unless EMPIRIE_SEED_DEMO=true asks for them."""
    out = run_console(tmp_path, "/kto cyfrowe\n", extra={"EMPIRIE_SEED_DEMO": ""})
    assert "koordynator-facylitator" not in out
    from core.config import Settings

    embedded = Settings(EMPIRIE_DATABASE_URL="sqlite:///./empirie.db", TELEGRAM_BOT_TOKEN="")
    assert embedded.demo_cast
    assert not Settings(EMPIRIE_DATABASE_URL="postgresql://db/empirie").demo_cast
    assert Settings(EMPIRIE_DATABASE_URL="postgresql://db/empirie", EMPIRIE_SEED_DEMO="1").demo_cast


def test_a_file_attached_in_the_console_goes_with_the_next_message(
    first_run: tuple[Path, str],
) -> None:
    tmp, listing = first_run
    coordinator = next(
        line.split()[0].lstrip("#")
        for line in listing.splitlines()
        if "koordynator-facylitator" in line
    )
    table = tmp / "konkursy.csv"
    table.write_text(
        "tytul;grantodawca;link;termin;kwota;tagi\n"
        "Cyfrowa gmina;NASK;https://example.org/cg;30.06.2027;2 mln zł;cyfryzacja\n",
        encoding="utf-8",
    )
    out = run_console(
        tmp, f"/jako {coordinator}\n/plik nie_ma.csv\n/plik {table}\n/konkursy_import\n"
    )
    assert "Nie ma pliku „nie_ma.csv”" in out
    assert "📎 konkursy.csv pójdzie z Twoją następną wiadomością." in out
    assert "Import: nowe 1, zaktualizowane 0, już znane 0, odrzucone 0." in out
