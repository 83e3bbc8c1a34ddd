"""Opinions on the network's results and needs from the cities, as people use them in chat
(console), on SQLite and PostgreSQL with a clock the test moves: a consultation goes privately
to its audience (a text, a link or a document), opinions are named and by city, one reminder
to those who have not answered, and at the deadline the coordinator gets the opinions as a
CSV and a PDF; needs are reported any time and shown to the coordinator and the expert when
they prepare the next programme."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlmodel import col, select

from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from core.messages import ChatRef, EventKind, File, Incoming, Outgoing, Sender
from jobs.dispatch import DueDispatcher
from models import directory
from models.blobs import Blob
from models.consultations import Consultation
from models.core import City, Person
from models.db import Database
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat

WARSAW = ZoneInfo("Europe/Warsaw")
PDF = b"%PDF-1.4 rekomendacje"


def warsaw(day: int, month: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WARSAW).astimezone(UTC)


def queued(db: Database, kind: str, person: int | None = None) -> list[OutboxMessage]:
    with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        if person is not None:
            query = query.where(OutboxMessage.person_id == person)
        return list(s.exec(query.order_by(col(OutboxMessage.id))).all())


def representatives(db: Database, *standings: str) -> list[int]:
    with db.session() as s:
        network = directory.require_network(s, "cyfrowe")
        return sorted(
            p.id or 0
            for p, role, _c in directory.members(s, network.id or 0)
            if role == "representative"
            and directory.standing_of(s, p.city_id, network.id) in standings
        )


def name_and_city(db: Database, person: int) -> tuple[str, str]:
    with db.session() as s:
        p = s.get(Person, person)
        assert p is not None and p.name
        city = s.get(City, p.city_id)
        assert city is not None
        return p.name, city.name


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def run(db: Database, clock: FrozenClock, settings: Settings) -> int:
    return await DueDispatcher(db, clock, settings, owner="test").run_once()


async def with_file(router: Router, who: int, text: str, file: File) -> list[Outgoing]:
    """A message with an attachment, typed in the person's private chat."""
    return await router.handle(
        Incoming(
            Sender("console", str(who)),
            ChatRef("console", str(who), private=True),
            EventKind.TEXT,
            text,
            files=(file,),
        )
    )


async def test_a_consultation_from_opening_to_the_collected_opinions(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    # Monday 23.11: opinions by Monday 30.11 (the end of that day), from everyone
    said = await chat.text(
        c,
        "/konsultacja cyfrowe; Rekomendacje e-usług; 30.11.2026; wszyscy; "
        "Proponujemy wspólny standard; zobacz https://zmp.example/rekomendacje.pdf",
    )
    assert "Konsultacja nr 1 sieci MIASTO CYFROWE otwarta do poniedziałku, 30 listopada" in said
    assert "wysłano prywatnie do 9 z 9 osób (miasta obserwatorzy i miasta rdzenia)" in said, said
    everyone = representatives(seeded, "laureat", "finalista", "lider_zmian", "obserwator")
    assert {m.person_id for m in queued(seeded, "consultation")} == set(everyone)
    [sent] = queued(seeded, "consultation", cast.observer_rep)
    text = sent.payload["text"]
    assert text.startswith("📝 Konsultacja nr 1 sieci MIASTO CYFROWE: Rekomendacje e-usług")
    assert "Proponujemy wspólny standard; zobacz" in text
    assert "Dokument: https://zmp.example/rekomendacje.pdf" in text
    assert "Opinie są imienne (z nazwą miasta), nie anonimowe." in text
    assert [a[1] for a in sent.payload["actions"]] == ["/opinia 1"]

    # opinions: typed, guided (several paragraphs), rewritten; not from staff
    said = await chat.text(cast.observer_rep, "/opinia 1 Dobry kierunek, brak wzoru umowy.")
    _name, city = name_and_city(seeded, cast.observer_rep)
    assert f"Dziękuję: Twoja opinia ({city}) w konsultacji nr 1 zapisana." in said, said
    asked = await chat.text(cast.laureate_rep, "/opinia 1")
    assert "napisz opinię w jednej wiadomości" in asked
    said = await chat.text(cast.laureate_rep, "Pierwszy akapit.\n\nDrugi akapit; z uwagami.")
    assert "zapisana" in said
    again = await chat.text(cast.laureate_rep, "/opinia 1 Po namyśle: popieramy w całości.")
    assert "zmieniona" in again and "/opinia 1" in again, again  # in chat: how to rewrite it
    group = await chat.say(cast.laureate_rep2, "/opinia 1 Zgoda.", chat="cyfrowe")
    assert group[0].to is not None  # answered privately
    assert "Opinie przekazują przedstawiciele" in await chat.text(cast.expert, "/opinia 1 x")

    # Monday 30.11, 9:00 (two days before falls on Saturday): one reminder, to the silent
    clock.set(warsaw(30, 11, 9, 1))
    await run(seeded, clock, settings)
    reminded = {m.person_id for m in queued(seeded, "consultation_reminder")}
    assert reminded == set(everyone) - {cast.observer_rep, cast.laureate_rep, cast.laureate_rep2}
    [reminder] = queued(seeded, "consultation_reminder", reminded.pop())
    assert "nie ma jeszcze Twojej opinii" in reminder.payload["text"]
    await run(seeded, clock, settings)
    assert len(queued(seeded, "consultation_reminder")) == len(everyone) - 3  # once

    # the list, for a member and for the coordinator
    mine = await chat.text(cast.laureate_rep, "/konsultacje")
    assert "#1 Rekomendacje e-usług — otwarta do 30.11.2026 23:59 — Twoja opinia jest" in mine
    overview = await chat.text(c, "/konsultacje cyfrowe")
    assert "3 opinie z 9 zapytanych osób" in overview, overview

    # the deadline: closed, the coordinator gets the opinions as CSV and PDF
    clock.set(warsaw(30, 11, 23, 59))
    await run(seeded, clock, settings)
    [closed] = queued(seeded, "consultation_closed", c)
    assert "opinie od 3 z 9 zapytanych osób" in closed.payload["text"]
    with seeded.session() as s:  # the files are stored once, the message refers to them
        files = {f["name"]: s.get(Blob, f["blob"]).content for f in closed.payload["files"]}  # type: ignore[union-attr]
    assert set(files) == {"opinie_konsultacja_1.csv", "opinie_konsultacja_1.pdf"}
    rows = list(
        csv.reader(
            io.StringIO(files["opinie_konsultacja_1.csv"].decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows[0] == ["Miasto", "Status w sieci", "Osoba", "Wysłano", "Opinia"]
    by_person = {r[2]: r for r in rows[1:]}
    name, lomza = name_and_city(seeded, cast.laureate_rep)
    assert by_person[name][0] == lomza and by_person[name][1] == "laureat"
    assert by_person[name][4] == "Po namyśle: popieramy w całości."
    text = pdf_text(files["opinie_konsultacja_1.pdf"])
    assert "Opinie — konsultacja nr 1" in text and "Sieć: MIASTO CYFROWE" in text
    assert f"{lomza} (laureat) — {name}" in text and "Po namyśle: popieramy w całości." in text
    assert "3 opinie z 9 zapytanych osób" in text
    late = await chat.text(representatives(seeded, "finalista")[0], "/opinia 1 Późno")
    assert "opinie nie są już zbierane" in late, late
    with seeded.session() as s:
        consultation = s.get(Consultation, 1)
        assert consultation is not None and consultation.status == "closed"

    # the expert may read them too, any time; a representative may not
    [again_files] = await chat.say(cast.expert, "/konsultacja_opinie 1")
    assert [f.name for f in again_files.files] == [
        "opinie_konsultacja_1.csv",
        "opinie_konsultacja_1.pdf",
    ]
    refused = await chat.text(cast.observer_rep, "/konsultacja_opinie 1")
    assert "Nie masz uprawnień do polecenia /konsultacja_opinie" in refused, refused


async def test_a_document_for_observers_only_guided_and_the_closed_network(
    chat: Chat, router: Router, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    c = cast.coordinator
    assert "Która sieć?" in await chat.text(c, "/konsultacja")
    await chat.text(c, "cyfrowe")
    await chat.text(c, "Mapa procesów e-usług")
    asked = await chat.text(c, "javascript:alert(1)")  # not a web address: asked again
    assert "http:// lub https://" in asked and "Sam rezultat" in asked, asked
    document = File("mapa_procesow.pdf", PDF, "application/pdf")
    [reply] = await with_file(router, c, "", document)
    assert "Opinie do kiedy?" in reply.text
    await chat.text(c, "7.12.2026 12:00")
    said = await chat.text(c, "obserwatorzy")
    assert "wysłano prywatnie do 1 z 1 osoby (miasta obserwatorzy)" in said, said
    [sent] = queued(seeded, "consultation")
    assert sent.person_id == cast.observer_rep
    assert "Dokument w załączniku: mapa_procesow.pdf" in sent.payload["text"]
    assert len(sent.payload["files"]) == 1 and "blob" in sent.payload["files"][0]

    refused = await chat.text(cast.laureate_rep, "/opinia 1 Też mamy zdanie.")
    assert "pyta o opinię inne miasta, nie Twoje" in refused

    no_observers = await chat.text(c, "/konsultacja liderzy; Wizja; 7.12.2026; obserwatorzy; Tekst")
    assert "Nie masz uprawnień, aby zrobić to w sieci LEADERSHIP" in no_observers, no_observers
    team = await chat.text(cast.team, "/konsultacja liderzy; Wizja; 7.12.2026; obserwatorzy; Tekst")
    assert "Sieć liderów nie ma miast obserwatorów" in team, team
    assert "Podaj rezultat" in await chat.text(c, "/konsultacja cyfrowe; Pusta; 7.12.2026; rdzeń")
    assert "to już przeszłość" in await chat.text(
        c, "/konsultacja cyfrowe; Stara; 1.11.2026 10:00; rdzeń; Tekst"
    )


async def test_needs_reported_any_time_seen_when_the_next_meeting_is_prepared(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    said = await chat.text(cast.observer_rep, "/potrzeba Potrzebujemy szkolenia z dostępności.")
    assert "potrzeba nr 1 zapisana dla sieci MIASTO CYFROWE" in said, said
    group = await chat.say(
        cast.laureate_rep, "/potrzeba cyfrowe Wzór umowy na utrzymanie e-usług", chat="cyfrowe"
    )
    assert group[0].to is not None and "nr 2" in group[0].text
    assert "Opisz potrzebę" in await chat.text(cast.laureate_rep2, "/potrzeba")
    await chat.text(cast.laureate_rep2, "Obserwacja: mieszkańcy pytają o e-doręczenia.")
    assert "Potrzeby zgłaszają przedstawiciele" in await chat.text(cast.expert, "/potrzeba x")
    refused = await chat.text(cast.laureate_rep, "/potrzeby cyfrowe")
    assert "Nie masz uprawnień do polecenia /potrzeby" in refused, refused

    [listing] = await chat.say(cast.expert, "/potrzeby cyfrowe")
    name, city = name_and_city(seeded, cast.observer_rep)
    assert f"{city} ({name}): Potrzebujemy szkolenia z dostępności." in listing.text
    assert "e-doręczenia" in listing.text
    [file] = listing.files
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Nr", "Data", "Miasto", "Osoba", "Potrzeba lub obserwacja"]
    assert len(rows) == 4

    # a meeting is published: its author and the expert hear what came in, for the programme
    await chat.text(
        cast.coordinator,
        "/spotkanie_nowe cyfrowe; Spotkanie III; 10.12.2026 10:00; online; 4",
        chat="cyfrowe",
    )
    await run(seeded, clock, settings)
    for person in (cast.coordinator, cast.expert):
        [notice] = queued(seeded, "needs_for_meeting", person)
        text = notice.payload["text"]
        assert "Do programu spotkania nr 1 „Spotkanie III”" in text
        assert "zgłosiły 3 potrzeby lub obserwacje" in text
        assert "Potrzebujemy szkolenia z dostępności." in text
    await run(seeded, clock, settings)
    assert len(queued(seeded, "needs_for_meeting")) == 2  # once per meeting and person
    # the plan's overview counts them for its keepers
    assert "Od ostatniego spotkania zgłoszono 3 potrzeby lub obserwacje" in await chat.text(
        cast.coordinator, "/plan cyfrowe"
    )
