"""What people read, as a Polish office writes it (issue 24): the answer word `może`, the
invitation code, linking an account, announcement headers and lists, roster answers — on SQLite
and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from handlers.membership import INVITE_LINKS
from models.core import Person
from models.db import Database
from models.meetings import Rsvp
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_announcements import run_flow
from tests.test_meetings import create


async def test_maybe_is_shown_as_moze_and_typed_either_way(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    meeting_id = await create(chat, cast.coordinator)
    with seeded.session() as s:
        invitation = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "meeting", OutboxMessage.person_id == cast.laureate_rep
            )
        ).one()
    text = invitation.payload["text"]
    assert "stacjonarnie | online | nie | może" in text and "moze" not in text
    assert "Może" in [label for label, _command in invitation.payload["actions"]]

    for typed in ("może", "moze", "MOŻE"):
        await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} {typed}")
        with seeded.session() as s:
            assert s.exec(select(Rsvp.answer)).all() == ["moze"]
        await chat.say(cast.laureate_rep, f"/rsvp {meeting_id} nie")

    wrong = await chat.text(cast.laureate_rep, f"/rsvp {meeting_id} jutro")
    assert "Odpowiedz: stacjonarnie, online, nie albo może." in wrong
    how = await chat.text(cast.laureate_rep, "/rsvp")
    assert "nie lub może, np. /rsvp 3 online" in how and "moze" not in how
    usage = await chat.text(cast.laureate_rep, "/rsvp trzy")
    assert "stacjonarnie|online|nie|może" in usage and "moze" not in usage


async def test_an_invitation_code_is_a_sentence_with_labelled_links(
    chat: Chat, seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cast = find_cast(seeded)
    monkeypatch.setitem(INVITE_LINKS, "telegram", "https://t.me/EmpirieBot?start={code}")
    monkeypatch.setitem(
        INVITE_LINKS,
        "teams",
        "https://teams.microsoft.com/l/chat/0/0?users=bot@zmp.pl&message=/start%20{code}",
    )
    with seeded.session() as s:
        name = s.get(Person, cast.laureate_rep).display_name  # type: ignore[union-attr]
    text = await chat.text(cast.coordinator, f"/zaproszenie {cast.laureate_rep}")
    lines = text.splitlines()
    match = re.fullmatch(rf"{name} może dołączyć z kodem zaproszenia ([A-Z2-9]{{10}})\.", lines[0])
    assert match, lines[0]
    code = match.group(1)
    assert re.fullmatch(
        rf"Kod działa jeden raz i jest ważny do \d\d\.\d\d\.\d{{4}} \d\d:\d\d\. "
        rf"Osoba wysyła mi /start {code} w prywatnym czacie\.",
        lines[1],
    ), lines[1]
    assert lines[2:] == [
        "Albo link, który otwiera czat z wpisanym już kodem:",
        f"• Microsoft Teams: https://teams.microsoft.com/l/chat/0/0?users=bot@zmp.pl"
        f"&message=/start%20{code}",
        f"• Telegram: https://t.me/EmpirieBot?start={code}",
    ]
    await chat.say(cast.coordinator, "/jezyk en")
    english = await chat.text(cast.coordinator, f"/invite {cast.laureate_rep}")
    assert re.match(rf"{name} can join with the invitation code [A-Z2-9]{{10}}\.\n", english)
    assert "Or a link that opens the chat with the code already typed in:" in english


async def test_an_announcement_to_every_network_says_so(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    text = "**Ważne:** zmiana terminu spotkań\n- szczegóły w załączniku"
    [preview] = await run_flow(
        chat, cast.team, None, text, "bez", "wszystkie", "wszyscy", "czaty", "nie", "teraz"
    )
    assert "Sieci: wszystkie sieci" in preview.text
    await chat.say(cast.team, preview.actions[0].command)
    with seeded.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "announcement")).all()
    assert len(rows) == 8 and {r.payload["text"].split("\n")[0] for r in rows} == {
        "📣 **Ogłoszenie** — wszystkie sieci"
    }
    # one network: its name
    [one] = await run_flow(
        chat, cast.coordinator, None, "Krótko", "bez", "cyfrowe", "wszyscy", "czaty", "nie", "teraz"
    )
    assert "Sieci: MIASTO CYFROWE" in one.text

    mine = await chat.text(cast.team, "/ogloszenia")
    assert "— wysłane — Ważne: zmiana terminu spotkań" in mine and "**" not in mine


async def test_adding_a_city_answers_in_sentences(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    new = await chat.text(cast.coordinator, "/miasto_dodaj cyfrowe; Sopot; obserwator")
    assert new.splitlines() == [
        "• dodano miasto: Sopot",
        "• Sopot dołącza do sieci MIASTO CYFROWE jako obserwator",
    ]
    # a city the roster knows already: one change, one sentence (no lone bullet)
    known = await chat.text(cast.team, "/miasto_dodaj zielone; Sopot; obserwator")
    assert (
        known == "Sopot dołącza do sieci MIASTO NEUTRALNE KLIMATYCZNIE / ZIELONE jako obserwator."
    )
