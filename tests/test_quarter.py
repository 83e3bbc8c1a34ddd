"""A ZMP quarter of the MIASTO CYFROWE network, scripted end to end with a clock the test moves,
on SQLite and PostgreSQL (issue #22, "Done when"; the work plan and consultations: issue #27).

The office imports its own roster sheet (network names, its "Funkcja" values); most people
link their accounts, two only later. The coordinator publishes a hybrid meeting with an open
part (lectures, streamed) and a closed one (workshops); the observer city sees only the open
part. The meeting is moved; the bot is then down for two weeks; on the day people check in
(the organiser marks one who had declined); afterwards the feedback poll goes to everyone who
took part and is answered; finally the report, the attendance CSV and the signing sheet's PDF
tell the same story. Between meetings (issue #27): the coordinator keeps the work plan (a goal,
the quarter's meeting in its calendar, the contract, shown also to the one who links late), the
observer city's need reaches the programme's authors, the actions agreed are entered right
after the meeting and their owners reminded, the report shows them, and the observer's opinion
on the meeting's conclusions comes back to the coordinator as a document.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from openpyxl import Workbook
from pypdf import PdfReader
from sqlmodel import col, select

from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing
from handlers.roster import office
from jobs.dispatch import DueDispatcher
from models import attendance, seed
from models.core import Person
from models.db import Database
from models.feedback import Poll
from models.meetings import Meeting
from models.outbox import OutboxMessage
from tests.conftest import Chat
from tests.language import assert_reads_right
from tests.outbox_files import DATABASES, file_bytes

WARSAW = ZoneInfo("Europe/Warsaw")
T = Translator("pl", WARSAW)
CODE = re.compile(r"\b([A-Z2-9]{10})\b")


def warsaw(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=WARSAW).astimezone(UTC)


# --- the office's sheet ---------------------------------------------------------------------

HEADER = [
    "Sieć",
    "Miasto",
    "Województwo",
    "Status",
    "Imię i nazwisko",
    "Stanowisko",
    "Funkcja",
    "E-mail",
    "Rola",
    "Język",
]
NET = "MIASTO CYFROWE"  # the office writes the network's name, not its code
# one row a line, as the office's columns: Sieć; Miasto; Województwo; Status; Imię i nazwisko;
# Stanowisko; Funkcja; E-mail; Rola; Język
SHEET = [
    line.split(";")
    for line in (
        f"{NET};;;;Małgorzata Źrebiec;Koordynatorka-facylitatorka;;m.zrebiec@zmp.pl;koordynator;",
        f"{NET};;;;Tomasz Wiśniewski;Ekspert-moderator;;t.wisniewski@zmp.pl;ekspert;",
        f"{NET};;;;Joanna Kaczmarek;Opiekunka organizacyjna;;j.kaczmarek@zmp.pl;opiekun;",
        f"{NET};Łomża;podlaskie;laureat;Grażyna Żółkiewska;Naczelniczka Wydziału Informatyki;"
        "Kierownik Referatu Cyfryzacji;g.zolkiewska@um.lomza.pl;przedstawiciel;",
        f"{NET};Łomża;podlaskie;laureat;Jędrzej Ślęzak;Specjalista ds. e-usług;Specjalista;"
        "j.slezak@um.lomza.pl;przedstawiciel;",
        f"{NET};Płock;mazowieckie;finalista;Agnieszka Nowak;Inspektorka;Inspektor Wydziału;"
        "a.nowak@um.plock.pl;przedstawiciel;",
        f"{NET};Płock;mazowieckie;finalista;Piotr Zieliński;Informatyk;;"
        "p.zielinski@um.plock.pl;przedstawiciel;",
        f"{NET};Kłodzko;dolnośląskie;lider zmian;Ewa Dąbrowska;Zastępczyni Burmistrza;"
        "Zastępca Burmistrza Miasta;e.dabrowska@um.klodzko.pl;przedstawiciel;",
        f"{NET};Świdnik;lubelskie;obserwator;Bożena Łęcka;Inspektorka;;b.lecka@um.swidnik.pl;"
        "przedstawiciel;",
    )
]


def office_sheet(path: Path) -> Path:
    """The roster as the office keeps it in Excel."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Skład sieci"
    sheet.append(HEADER)
    for row in SHEET:
        sheet.append([v or None for v in row])
    book.save(path)
    return path


# --- the people of the story, by the names the office wrote -----------------------------------


@dataclass(frozen=True)
class People:
    coordinator: int
    expert: int
    organiser: int
    grazyna: int  # Łomża: in person
    jedrzej: int  # Łomża: online
    agnieszka: int  # Płock: links late, in person, comes but nobody checks her in
    piotr: int  # Płock: links after the move, never answers
    ewa: int  # Kłodzko: declines, comes after all (the organiser marks her)
    bozena: int  # Świdnik, observer city: online, open part only

    @staticmethod
    def of(db: Database) -> People:
        with db.session() as s:
            ids = {p.email: p.id or 0 for p in s.exec(select(Person)).all()}
        by = {row[7].split("@")[0].split(".")[1]: ids[row[7]] for row in SHEET}
        return People(
            coordinator=by["zrebiec"],
            expert=by["wisniewski"],
            organiser=by["kaczmarek"],
            grazyna=by["zolkiewska"],
            jedrzej=by["slezak"],
            agnieszka=by["nowak"],
            piotr=by["zielinski"],
            ewa=by["dabrowska"],
            bozena=by["lecka"],
        )


ACCOUNT = "tg-{}"  # each person's own private chat with the bot


@dataclass
class Quarter:
    """The story's stage: the chat, the clock, the jobs and what was queued for whom."""

    db: Database
    clock: FrozenClock
    settings: Settings
    chat: Chat
    jobs: DueDispatcher
    tmp: Path
    heard: list[str] = field(default_factory=list)  # every answer, as people read it

    async def says(self, person: int, text: str, group: bool = False) -> str:
        replies = await self.chat.say(
            ACCOUNT.format(person), text, chat="cyfrowe" if group else None
        )
        self.hear(replies)
        return "\n".join(r.text for r in replies)

    async def said(self, person: int, text: str) -> list[Outgoing]:
        replies = await self.chat.say(ACCOUNT.format(person), text)
        self.hear(replies)
        return replies

    def hear(self, replies: list[Outgoing]) -> None:
        for reply in replies:
            self.heard += [reply.text, *(a.label for a in reply.actions)]
            self.heard += [pdf_text(f.content) for f in reply.files if f.name.endswith(".pdf")]

    async def links(self, person: int) -> str:
        """The office prints an invitation code (`empirie-bot invite`); the person types it."""
        _person, code = office.issue_invitation(self.db, self.clock, str(person), days=30)
        assert CODE.fullmatch(code), code
        return await self.says(person, f"/start {code}")

    def transcript(self) -> list[str]:
        """All the quarter said: the answers, and every message the bot sent on its own."""
        with self.db.session() as s:
            sent = [r.payload for r in s.exec(select(OutboxMessage)).all()]
        return [
            *self.heard,
            *(p.get("text", "") for p in sent),
            *(a[0] for p in sent for a in p.get("actions", [])),
        ]

    async def at(self, moment: datetime) -> None:
        """Time passes to `moment`; the bot is up, so due work runs."""
        self.clock.set(moment)
        await self.jobs.run_once()
        await self.jobs.run_once()

    def queued(self, kind: str, person: int | None = None) -> list[OutboxMessage]:
        with self.db.session() as s:
            query = select(OutboxMessage).where(OutboxMessage.kind == kind)
            if person is not None:
                query = query.where(OutboxMessage.person_id == person)
            return list(s.exec(query.order_by(col(OutboxMessage.id))).all())

    def kinds_since(self, after: int) -> Counter[str]:
        with self.db.session() as s:
            rows = s.exec(select(OutboxMessage).where(col(OutboxMessage.id) > after)).all()
        return Counter(r.kind for r in rows)

    def last_id(self) -> int:
        with self.db.session() as s:
            rows = s.exec(select(OutboxMessage.id)).all()
        return max((r or 0 for r in rows), default=0)

    def private(self, kind: str, person: int) -> dict[str, Any]:
        DATABASES[:] = [self.db]  # ics_event reads the stored files
        [row] = self.queued(kind, person)
        assert row.chat_id == ACCOUNT.format(person)  # privately, to their own account
        return row.payload


def buttons(payload: dict[str, Any]) -> list[str]:
    return [a[1] for a in payload["actions"] if a[1]]


def ics_event(payload: dict[str, Any]) -> tuple[datetime, datetime]:
    calendar = Calendar.from_ical(file_bytes(payload["files"][0]))
    event = next(iter(calendar.walk("VEVENT")))
    return event.decoded("dtstart"), event.decoded("dtend")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def quarter(db: Database, settings: Settings, tmp_path: Path) -> Quarter:
    with db.session() as s:
        seed.ensure_networks(s)  # the 8 networks exist; nobody is in them yet
    clock = FrozenClock(warsaw(4, 1, 9))  # Monday 4 January 2027, 9:00
    return Quarter(
        db,
        clock,
        settings,
        Chat(Router(db, clock, settings)),
        DueDispatcher(db, clock, settings),
        tmp_path,
    )


HYBRID = (
    "/spotkanie_nowe cyfrowe; Spotkanie II; 10.02.2027 10:00; hybrydowe; 6; "
    "Łomża, ul. Długa 1; https://teams.example/zamkniete; 40; tak; 4.02.2027 12:00; "
    "10:00-12:00 Wykłady otwarta https://stream.example/otwarta | "
    "12:30-16:00 Warsztaty zamknięta"
)


async def test_a_quarter_of_the_digital_city_network(quarter: Quarter) -> None:
    q = quarter

    # --- January 4: the office imports its own sheet -----------------------------------------
    result = office.import_file(q.db, q.clock, q.settings, office_sheet(q.tmp / "skład.xlsx"), T)
    assert result.ok, result.lines
    assert result.lines[0].startswith("Zaimportowano"), result.lines
    who = People.of(q.db)
    with q.db.session() as s:
        grazyna = s.get(Person, who.grazyna)
        assert grazyna is not None and grazyna.office_title == "Kierownik Referatu Cyfryzacji"
    exported = q.tmp / "eksport.xlsx"
    office.export_file(q.db, exported)
    again = office.import_file(q.db, q.clock, q.settings, exported, T)
    assert again.lines[-1] == "Skład już odpowiada plikowi: nie ma nic do zmiany."
    q.heard += [*result.lines, *again.lines]

    # everyone links but Agnieszka and Piotr; the coordinator binds the network's group
    for person in (who.coordinator, who.expert, who.organiser, who.grazyna, who.jedrzej):
        assert "Połączono Twoje konto" in await q.links(person)
    for person in (who.ewa, who.bozena):
        assert "Połączono Twoje konto" in await q.links(person)
    bound = await q.says(who.coordinator, "/polacz cyfrowe", group=True)
    assert "MIASTO CYFROWE" in bound, bound

    # the work plan (issue #27): a goal, the quarter's meeting in the calendar, the contract
    # (to every linked representative), acknowledged for Łomża; the observer reports a need
    assert "Cel nr 1" in await q.says(who.coordinator, "/cel_dodaj cyfrowe; Wspólne e-usługi")
    await q.says(who.coordinator, "/plan_spotkanie cyfrowe; I kw. 2027; Spotkanie II")
    set_contract = "/kontrakt_ustaw cyfrowe 1. Spotykamy się raz na kwartał."
    assert "Wersja 1 kontraktu" in await q.says(who.coordinator, set_contract)
    contracted = {m.person_id for m in q.queued("contract")}
    assert contracted == {who.grazyna, who.jedrzej, who.ewa, who.bozena}  # those linked
    assert "Dziękuję: Łomża akceptuje" in await q.says(who.jedrzej, "/kontrakt_akceptuje")
    need = "/potrzeba Napisy w transmisji części otwartej"
    assert "potrzeba nr 1" in await q.says(who.bozena, need)

    # --- January 11: the hybrid meeting is published ----------------------------------------
    await q.at(warsaw(11, 1, 10))
    published = await q.says(who.coordinator, HYBRID, group=True)
    match = re.search(r"Spotkanie nr (\d+) opublikowane", published)
    assert match, published
    meeting_id = int(match.group(1))
    await q.at(warsaw(11, 1, 10, 5))  # for the programme: what the cities reported
    for person in (who.coordinator, who.expert):
        assert "Napisy w transmisji" in q.private("needs_for_meeting", person)["text"]

    core = q.private("meeting", who.grazyna)
    assert core["text"].startswith(f"📅 Spotkanie nr {meeting_id} sieci MIASTO CYFROWE")
    assert "Online: https://teams.example/zamkniete" in core["text"]
    assert "12:30–16:00 Warsztaty (część zamknięta)" in core["text"]
    assert buttons(core)[:4] == [
        f"/rsvp {meeting_id} {a}" for a in ("stacjonarnie", "online", "nie", "moze")
    ]
    # the observer: the open part only — its time, title and stream, never the workshop
    seen = q.private("meeting", who.bozena)
    assert "10:00–12:00 Wykłady (część otwarta, online dla obserwatorów)" in seen["text"]
    assert "Transmisja części otwartej: https://stream.example/otwarta" in seen["text"]
    assert "teams.example/zamkniete" not in str(seen) and "Warsztaty" not in str(seen)
    assert buttons(seen)[:2] == [f"/rsvp {meeting_id} online", f"/rsvp {meeting_id} nie"]
    assert ics_event(seen) == (warsaw(10, 2, 10), warsaw(10, 2, 12))
    assert q.queued("meeting", who.agnieszka) == []  # not linked: nobody to tell yet

    # answers
    assert "Zapisano" in await q.says(who.grazyna, f"/rsvp {meeting_id} stacjonarnie")
    assert "Zapisano" in await q.says(who.jedrzej, f"/rsvp {meeting_id} online")
    assert "Zapisano" in await q.says(who.ewa, f"/rsvp {meeting_id} nie")
    assert await q.says(who.bozena, f"/rsvp {meeting_id} stacjonarnie") == (
        "Miasta obserwatorzy śledzą część otwartą online: odpowiedz „online” albo „nie”."
    )
    assert "Zapisano" in await q.says(who.bozena, f"/rsvp {meeting_id} online")

    # --- January 18: Agnieszka links late and gets what is still ahead for her ---------------
    await q.at(warsaw(18, 1, 9))
    assert "Połączono Twoje konto" in await q.links(who.agnieszka)
    late = q.private("meeting", who.agnieszka)
    assert late["text"].startswith(f"📅 Spotkanie nr {meeting_id} sieci MIASTO CYFROWE")
    assert "12:30–16:00 Warsztaty (część zamknięta)" in late["text"]
    assert late["files"][0]["name"] == f"spotkanie_{meeting_id}.ics"
    assert ics_event(late) == (warsaw(10, 2, 10), warsaw(10, 2, 16))
    assert "Zapisano" in await q.says(who.agnieszka, buttons(late)[0])  # Stacjonarnie
    contract = q.private("contract", who.agnieszka)  # Płock has not acknowledged it yet
    assert "Spotykamy się raz na kwartał." in contract["text"]
    assert buttons(contract) == ["/kontrakt_akceptuje cyfrowe"]

    # --- January 25: the meeting moves two days later, to Friday 12 February ----------------
    await q.at(warsaw(25, 1, 9))
    moved = await q.says(who.coordinator, f"/spotkanie_przesun {meeting_id} 12.02.2027 10:00")
    assert "12 lutego 2027" in moved, moved
    with q.db.session() as s:
        meeting = s.get(Meeting, meeting_id)
    assert meeting is not None
    # the deadline moved with it would be Saturday 6 February: Monday morning instead
    assert meeting.rsvp_deadline == warsaw(8, 2, 9)
    for person in (who.grazyna, who.agnieszka):  # answered in person: asked to confirm
        told = q.private("meeting_change", person)
        assert "Odpowiedzi zbieramy do poniedziałku, 8 lutego 2027, 09:00" in told["text"]
        assert "Potwierdź nowy termin" in told["text"]
        assert f"/rsvp {meeting_id} stacjonarnie" in buttons(told)
    online_told = q.private("meeting_change", who.jedrzej)
    assert "Potwierdź" not in online_told["text"]
    watching = q.private("meeting_change", who.bozena)
    assert "Warsztaty" not in str(watching) and "teams.example/zamkniete" not in str(watching)
    assert ics_event(watching) == (warsaw(12, 2, 10), warsaw(12, 2, 12))  # the open part
    assert "Zapisano" in await q.says(who.grazyna, f"/rsvp {meeting_id} stacjonarnie")
    assert "Zapisano" in await q.says(who.agnieszka, f"/rsvp {meeting_id} stacjonarnie")
    mine = await q.says(who.bozena, "/moje_spotkania")
    assert "12 lutego 2027, 10:00 — Spotkanie II" in mine and "Warsztaty" not in mine
    assert "Transmisja części otwartej: https://stream.example/otwarta" in mine

    # Piotr links after the move: his invitation already says the new date
    assert "Połączono Twoje konto" in await q.links(who.piotr)
    piotr = q.private("meeting", who.piotr)
    assert "piątek, 12 lutego 2027, 10:00" in piotr["text"]
    assert ics_event(piotr)[0] == warsaw(12, 2, 10)

    # --- the bot is down from 28 January for two weeks ---------------------------------------
    await q.at(warsaw(28, 1, 9))
    before = q.last_id()
    await q.at(warsaw(11, 2, 12))  # back on Thursday 11 February, noon
    after_downtime = q.kinds_since(before)
    # the week-before reminder (5.02) and the answer nudge are stale: dropped, not sent late;
    # the day-before reminder (due 10:00 today) still makes sense and goes
    assert after_downtime["reminder_7d"] == 0 and after_downtime["rsvp_nudge"] == 0
    assert set(after_downtime) <= {"reminder_1d", "headcount"}, after_downtime
    assert q.private("reminder_1d", who.grazyna)["text"] == (
        f"⏰ Przypomnienie: spotkanie nr {meeting_id} „Spotkanie II” — piątek, 12 lutego 2027, "
        "10:00."
    )
    observer_reminder = q.private("reminder_1d", who.bozena)
    assert "Warsztaty" not in str(observer_reminder)
    assert "teams.example/zamkniete" not in str(observer_reminder)
    assert "https://stream.example/otwarta" in observer_reminder["text"]

    # --- Friday 12 February: the meeting ----------------------------------------------------
    await q.at(warsaw(12, 2, 9))
    last = q.private("reminder_1h", who.grazyna)  # the last reminder goes on time
    assert f"/jestem {meeting_id}" in buttons(last)
    assert "Warsztaty" not in str(q.private("reminder_1h", who.bozena))
    await q.at(warsaw(12, 2, 10, 15))
    assert "Obecność potwierdzona" in await q.says(who.grazyna, f"/jestem {meeting_id}")
    assert "Obecność potwierdzona" in await q.says(who.jedrzej, f"/jestem {meeting_id}")
    refused = await q.says(who.ewa, f"/jestem {meeting_id}")
    assert "poproś" in refused.lower() or "organizator" in refused.lower(), refused
    marked = await q.says(who.organiser, f"/jestem {meeting_id} {who.ewa}")
    assert "Obecność potwierdzona: Ewa Dąbrowska" in marked, marked
    # the observer followed the stream: the organiser confirms her participation
    assert await q.says(who.bozena, f"/jestem {meeting_id}") == (
        "Miasta obserwatorzy śledzą część otwartą online; ich udział potwierdza opiekun "
        "organizacyjny: poproś go o odnotowanie obecności."
    )
    assert "Obecność potwierdzona: Bożena Łęcka" in await q.says(
        who.organiser, f"/jestem {meeting_id} {who.bozena}"
    )
    # Agnieszka came too, but nobody checked her in

    # --- the feedback poll, half an hour after the end ----------------------------------------
    await q.at(warsaw(12, 2, 16, 30))
    with q.db.session() as s:
        [poll] = s.exec(select(Poll)).all()
    # right after it, the coordinator is asked for the actions agreed, and enters them
    prompt = q.private("plan_after_meeting", who.coordinator)
    assert buttons(prompt) == [f"/dzialania_ze_spotkania {meeting_id}"]
    agreed = await q.says(
        who.coordinator,
        f"/dzialania_ze_spotkania {meeting_id} Raport z wdrożeń; Łomża; 26.02.2027\n"
        "Ankieta dostępności; Kłodzko; 5.03.2027",
    )
    assert f"Do planu ze spotkania nr {meeting_id} dodano 2 działania:" in agreed, agreed
    plan = await q.says(who.coordinator, "/plan cyfrowe")
    assert f"I kwartał 2027 — Spotkanie II → spotkanie nr {meeting_id}, 12.02.2027 10:00" in plan
    assert "Kontrakt: wersja 1, zaakceptowało 1 z 4 miast. Jeszcze nie: Kłodzko, Płock" in plan
    # and a consultation on the results, for the observer city, until 26 February
    opened = await q.says(
        who.coordinator,
        "/konsultacja cyfrowe; Wnioski ze Spotkania II; 26.02.2027; obserwatorzy; "
        "https://zmp.example/wnioski.pdf",
    )
    assert "wysłano prywatnie do 1 z 1 osoby" in opened, opened
    assert "Wnioski ze Spotkania II" in q.private("consultation", who.bozena)["text"]
    assert "zapisana" in await q.says(who.bozena, "/opinia 1 Prosimy o nagranie części otwartej.")
    # the note goes to those who took part; the open part's lecture slides to the observer too
    sent = await q.says(
        who.coordinator,
        f"/notatka {meeting_id} Wnioski: wspólny standard e-usług; ankieta do 5 marca.",
    )
    assert "wysłane prywatnie do 5 osób, które brały udział" in sent, sent
    noted = {m.person_id for m in q.queued("material")}
    assert noted == {who.expert, who.organiser, who.grazyna, who.jedrzej, who.ewa}
    slides = await q.says(
        who.expert,
        f"/material {meeting_id} otwarta https://zmp.sharepoint.com/wyklady.pptx Wykłady",
    )
    assert "trafił też do miast obserwatorów" in slides, slides
    assert "wyklady.pptx" in q.private("material", who.bozena)["text"]
    archive = await q.says(who.bozena, "/materialy cyfrowe")
    assert "wyklady.pptx" in archive and "notatka" not in archive  # the observer: open part only
    asked = {m.person_id for m in q.queued("feedback_poll")}
    assert asked == {who.grazyna, who.jedrzej, who.ewa, who.agnieszka, who.bozena}
    first = q.private("feedback_poll", who.agnieszka)
    assert "Anonimowo" in first["text"] and "Pytanie 1 z 6" in first["text"]
    for person, rating in ((who.grazyna, 5), (who.ewa, 4), (who.agnieszka, 4)):
        reply = await q.says(person, f"/ankieta {poll.id} 1 {rating}")
        assert "Pytanie 2 z 6" in reply, reply
        assert "Dziękuję" in await q.says(person, f"/ankieta {poll.id} 6 Dostępność cyfrowa")

    await q.at(poll.closes_at)
    for person in (who.coordinator, who.expert):
        [closed] = q.queued("feedback_closed", person)
        assert "odpowiedziały 3 z 5 zapytanych osób" in closed.payload["text"]
    # Friday 19 February: a week before its due date, Łomża is reminded of its action
    for person in (who.grazyna, who.jedrzej):
        reminder = q.private("plan_reminder", person)["text"]
        assert "Raport z wdrożeń" in reminder and "mija za 7 dni" in reminder
    assert "w toku" in await q.says(who.grazyna, "/dzialanie_status 1 w toku: zbieramy dane")

    # --- the report and the attendance list agree ---------------------------------------------
    [report] = await q.said(who.coordinator, f"/raport {meeting_id}")
    [sheet] = await q.said(who.organiser, f"/lista_obecnosci {meeting_id}")
    overview = await q.says(who.organiser, f"/obecnosc {meeting_id}")
    csv_file, pdf_file = sheet.files
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    name, city, confirmed, part = (
        header.index(h)
        for h in ("Imię i nazwisko", "Miasto", "Obecność potwierdzona", "Część listy")
    )
    present = [r for r in body if r[confirmed] and r[part] != "zespół sieci"]
    assert sorted(r[name] for r in present) == [
        "Bożena Łęcka",
        "Ewa Dąbrowska",
        "Grażyna Żółkiewska",
        "Jędrzej Ślęzak",
    ]
    assert Counter(r[part] for r in present) == {"stacjonarnie": 2, "online": 2}
    assert "Obecność potwierdziły 4 osoby (stacjonarnie 2, online 2)." in overview
    assert "Frekwencja: zaproszeni 6, odpowiedzieli na zaproszenie 5, obecni 4." in report.text
    assert (
        "Według statusu (obecni/zaproszeni): finalista 0/2; laureat 2/2; lider zmian 1/1; "
        "obserwator 1/1"
    ) in report.text
    # per city: the report, its CSV and the attendance CSV count the same people
    by_city = Counter(r[city] for r in present)
    assert by_city == {"Łomża": 2, "Kłodzko": 1, "Świdnik": 1}
    assert (
        "Według miast (obecni/zaproszeni): Kłodzko 1/1, Łomża 2/2, Płock 0/2, Świdnik 1/1"
    ) in report.text  # Agnieszka came unchecked: asked for feedback, not counted present
    report_csv = next(f for f in report.files if f.name == f"raport_spotkania_{meeting_id}.csv")
    report_rows = list(
        csv.reader(io.StringIO(report_csv.content.decode("utf-8-sig")), delimiter=";")
    )
    reported = {
        r[1].split(" (")[0]: int(r[3])
        for r in report_rows
        if r[0] == "frekwencja" and r[2] == "obecni"
    }
    assert {town: n for town, n in reported.items() if n} == by_city
    assert "Plan pracy — działania zrobione i do zrobienia:" in report.text
    assert "Raport z wdrożeń — Łomża — termin 26.02.2027 — w toku: zbieramy dane" in report.text
    draft = pdf_text(
        next(f for f in report.files if f.name == f"raport_spotkania_{meeting_id}.pdf").content
    )
    assert "Frekwencja: zaproszeni 6, odpowiedzieli na zaproszenie 5, obecni 4." in draft

    # the signing sheet: the same people, in the same sections, with the programme's heading
    text = pdf_text(pdf_file.content)
    assert text.startswith("EMPIRIE — Sieci Wymiany Doświadczeń\nProgram „Rozwój Lokalny”")
    assert "Sieć: MIASTO CYFROWE" in text and "Spotkanie: Spotkanie II" in text
    assert "Data: piątek, 12 lutego 2027, 10:00" in text  # the new date
    in_person = text.index("Uczestnictwo stacjonarne")
    staff = text.index("Zespół sieci")
    online = text.index("Uczestnictwo online (potwierdzenie udziału)")
    assert in_person < staff < online
    section_of = {"stacjonarnie": (in_person, staff), "online": (online, len(text))}
    for row in body:
        if row[part] == "zespół sieci":
            assert staff < text.index(row[name]) < online, row
        else:
            begin, end = section_of[row[part]]
            assert begin < text.index(row[name]) < end, row
    online_lines = text[online:].splitlines()
    for confirmed_online in ("Jędrzej Ślęzak", "Bożena Łęcka"):  # confirmed, not signed
        line = next(line for line in online_lines if confirmed_online in line)
        assert line.endswith("12.02.2027 10:15"), line

    # all of it read from the one source of truth
    with q.db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        truth = attendance.of_meeting(s, meeting)
    assert {a.name for a in truth.listed()} == {r[name] for r in body}
    assert {a.name for a in truth.present} == {r[name] for r in present}

    # the coordinator's report on the coordinating team's form: written, submitted, printed
    written = await q.says(
        who.coordinator,
        f"/raport_zapisz {meeting_id} [1]\nSpotkanie w Kłodzku i online, cztery miasta.\n"
        "[2]\nMiasta chcą wspólnego standardu dostępności.\n[3]\nWzór umowy na utrzymanie."
        "\n[4]\nRaport z wdrożeń do 26 lutego.",
    )
    assert f"raportu ze spotkania nr {meeting_id}: 4 części." in written, written
    assert "jest wysłany" in await q.says(who.coordinator, f"/raport_wyslij {meeting_id}")
    [printed] = await q.said(who.coordinator, f"/raport_pliki {meeting_id}")
    archive = pdf_text(next(f for f in printed.files if f.name.endswith(".pdf")).content)
    assert "Miasta chcą wspólnego standardu dostępności." in archive
    assert "Raport z wdrożeń — Łomża" in archive  # the plan's action, filled in

    # 26 February, the consultation's deadline: the coordinator gets the opinions as files
    await q.at(warsaw(26, 2, 23, 59))
    collected = q.private("consultation_closed", who.coordinator)
    assert "opinie od 1 z 1 zapytanej osoby" in collected["text"]
    opinions = next(f for f in collected["files"] if f["name"].endswith(".csv"))
    rows = list(
        csv.reader(io.StringIO(file_bytes(opinions, q.db).decode("utf-8-sig")), delimiter=";")
    )
    assert rows[1][0] == "Świdnik" and rows[1][2] == "Bożena Łęcka"
    assert rows[1][4] == "Prosimy o nagranie części otwartej."

    # --- a ZMP coordinator reads the whole quarter: the language check finds nothing -------
    assert_reads_right(q.transcript())
