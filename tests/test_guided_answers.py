"""A guided answer is free text and is kept whole (issue 23, item 16a), on SQLite and
PostgreSQL: a `;` typed in the answer to one question of a guided form is part of that answer,
not the one-line form's field separator."""

from __future__ import annotations

from sqlmodel import select

from models.core import Person
from models.db import Database
from models.meetings import Meeting
from tests.cast import find_cast
from tests.conftest import Chat


async def test_a_semicolon_in_a_guided_roster_answer_stays_in_it(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    await chat.text(cast.coordinator, "/miasto_dodaj cyfrowe; Płock; laureat")
    await chat.text(cast.coordinator, "/osoba_dodaj")
    position = "Naczelniczka Wydziału Cyfryzacji; pełnomocniczka ds. dostępności"
    for answer in ("cyfrowe", "Płock", "Anna Kowalska; z d. Nowak", position):
        await chat.text(cast.coordinator, answer)
    done = await chat.text(cast.coordinator, "-")
    assert done.startswith("• dodano osobę: Anna Kowalska; z d. Nowak (Płock)"), done
    with seeded.session() as s:
        anna = s.exec(select(Person).where(Person.name == "Anna Kowalska; z d. Nowak")).one()
    assert anna.position == position and anna.email is None


async def test_a_semicolon_in_a_guided_meeting_answer_stays_in_it(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    await chat.text(cast.coordinator, "/spotkanie_nowe")
    for answer in (
        "cyfrowe",
        "Warsztaty: dane; AI",
        "12.05.2027 10:00",
        "stacjonarne",
        "6",
        "Łomża, ul. Długa 1; sala 2",
        "-",
        "-",
        "nie",
        "-",
    ):
        await chat.text(cast.coordinator, answer)
    done = await chat.text(cast.coordinator, "Program: przegląd; dyskusja; wnioski")
    assert "opublikowane" in done, done
    with seeded.session() as s:
        meeting = s.exec(select(Meeting)).one()
    assert meeting.title == "Warsztaty: dane; AI"
    assert meeting.place == "Łomża, ul. Długa 1; sala 2"
    assert meeting.agenda == "Program: przegląd; dyskusja; wnioski"
