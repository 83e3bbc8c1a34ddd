"""The meeting's note and materials, as people use them in chat (console), on SQLite and
PostgreSQL with a clock the test sets: the note (one line, or written message after message
and kept), links (http(s) only) and files (stored once) go privately to those who took part;
an open part's material also to the observer cities and the network's group chat (the
console room bound in the demo data); the
archive lists the network's materials newest first, a page at a time; observers see the open
parts' only."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.router import Router
from core.clock import FrozenClock
from core.messages import ChatRef, EventKind, File, Incoming, Outgoing, Sender
from models import directory
from models.blobs import Blob
from models.db import Database
from models.materials import Material, MaterialKind
from models.meetings import Meeting
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.materials_data import TITLE, meeting_held

PDF = b"%PDF-1.4 prezentacja z warsztatow"


def queued(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list(s.exec(query.order_by(col(OutboxMessage.id))).all())


def to_whom(db: Database, kind: str, marker: str) -> set[int]:
    return {
        m.person_id or 0 for m in queued(db, kind) if marker in m.payload["text"] and m.person_id
    }


async def with_file(router: Router, who: int, text: str, file: File) -> list[Outgoing]:
    return await router.handle(
        Incoming(
            Sender("console", str(who)),
            ChatRef("console", str(who), private=True),
            EventKind.TEXT,
            text,
            files=(file,),
        )
    )


async def test_the_note_links_and_files_go_to_those_who_took_part(
    chat: Chat, router: Router, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    number = meeting_held(seeded, cast, clock.now())
    c = cast.coordinator
    took_part = {cast.expert, cast.organiser, cast.laureate_rep}  # staff and who came; not the
    # sender, not the representative who declined, not the observer (a closed-part material)

    said = await chat.text(c, f"/notatka {number} Wnioski: wspólny standard e-usług.")
    assert f"wysłane prywatnie do 3 osób, które brały udział w spotkaniu nr {number}" in said
    assert to_whom(seeded, "material", "Wnioski: wspólny standard") == took_part
    [note] = [m for m in queued(seeded, "material") if m.person_id == cast.laureate_rep]
    text = note.payload["text"]
    assert text.startswith(f"📝 Notatka ze spotkania nr {number} „{TITLE}” (MIASTO CYFROWE, ")
    assert "Archiwum sieci: /materialy cyfrowe" in text

    # a link (SharePoint, MIRO): http(s) only
    board = "https://miro.com/app/board/uXjVO1=/"
    said = await chat.text(c, f"/material {number} {board} Tablica z warsztatów")
    assert "wysłane prywatnie do 3 osób" in said
    assert to_whom(seeded, "material", board) == took_part
    refused = await chat.text(c, f"/material {number} javascript:alert(1)")
    assert "Zapisane" not in refused
    refused = await chat.text(c, f"/material {number} ftp://zmp.example/plik.pdf")
    assert "Zapisane" not in refused and "http" in refused

    # a file attached to the message: stored once, every delivery refers to it
    said = "\n".join(
        m.text
        for m in await with_file(
            router,
            c,
            f"/material {number} Prezentacja",
            File("prezentacja.pdf", PDF, "application/pdf"),
        )
    )
    assert "wysłane prywatnie do 3 osób" in said, said
    sent = [m for m in queued(seeded, "material") if "prezentacja.pdf" in m.payload["text"]]
    assert {m.person_id for m in sent} == took_part
    assert len({str(m.payload["files"]) for m in sent}) == 1
    with seeded.session() as s:
        [blob] = s.exec(select(Blob).where(Blob.name == "prezentacja.pdf")).all()
        assert blob.content == PDF
    assert sent[0].payload["files"] == [{"blob": blob.id}]
    assert "prezentacja.pdf — Prezentacja (w załączniku)" in sent[0].payload["text"]

    # only the coordinator, the expert and the team; not before the meeting; not cancelled
    refused = await chat.text(cast.laureate_rep, f"/notatka {number} Nasza notatka")
    assert "koordynator sieci, jej ekspert lub zespół koordynujący" in refused
    said = await chat.text(cast.expert, f"/material {number} https://zmp.sharepoint.com/x.pptx")
    assert "wysłane prywatnie do 3 osób" in said  # the expert is not among their own recipients
    with seeded.session() as s:
        meeting = s.get(Meeting, number)
        assert meeting is not None
        meeting.starts_at = clock.now() + timedelta(days=2)
        s.add(meeting)
    refused = await chat.text(c, f"/notatka {number} Za wcześnie")
    assert f"Spotkanie nr {number} jeszcze się nie zaczęło" in refused
    with seeded.session() as s:
        assert len(s.exec(select(Material)).all()) == 4


async def test_the_open_part_goes_to_observers_and_the_group(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    number = meeting_held(seeded, cast, clock.now(), observer_came=False)
    with seeded.session() as s:
        network = directory.require_network(s, "cyfrowe")
        observers = {
            p.id or 0
            for p, role, _c in directory.members(s, network.id or 0)
            if role == "representative"
            and directory.standing_of(s, p.city_id, network.id) == "obserwator"
        }
    assert observers == {cast.observer_rep}  # who did not come: the open part's rule
    said = await chat.text(
        cast.coordinator, f"/material {number} otwarta https://zmp.example/wyklad.pdf Wykład"
    )
    assert "trafił też do miast obserwatorów i na 1 czat grupowy sieci" in said, said
    got = to_whom(seeded, "material", "wyklad.pdf")
    assert observers <= got and cast.laureate_rep in got and cast.laureate_rep2 not in got
    [group] = queued(seeded, "material_group")
    assert group.chat_id == "cyfrowe" and "Z otwartej części spotkania." in group.payload["text"]
    # a closed part's material reaches no observer
    await chat.text(cast.coordinator, f"/material {number} https://zmp.example/warsztaty.pdf")
    assert not observers & to_whom(seeded, "material", "warsztaty.pdf")
    assert len(queued(seeded, "material_group")) == 1

    # the archive: everything for the core, the open part's only for the observers
    listing = await chat.text(cast.laureate_rep, "/materialy cyfrowe")
    assert listing.index("warsztaty.pdf") < listing.index("wyklad.pdf")  # newest first
    observed = await chat.text(cast.observer_rep, "/materialy cyfrowe")
    assert "wyklad.pdf" in observed and "warsztaty.pdf" not in observed
    closed = next(m.id for m in _materials(seeded) if "warsztaty" in (m.link or ""))
    refused = await chat.text(cast.observer_rep, f"/material_pokaz {closed}")
    assert f"Nie ma materiału o numerze „{closed}”" in refused
    # no open part at the meeting: "otwarta" is refused
    plain = meeting_held(seeded, cast, clock.now(), open_part=False)
    refused = await chat.text(cast.coordinator, f"/notatka {plain} otwarta Tekst")
    assert "nie miało części otwartej" in refused


def _materials(db: Database) -> list[Material]:
    with db.session() as s:
        return list(s.exec(select(Material)).all())


async def test_the_guided_note_keeps_what_was_written_and_the_archive_pages(
    chat: Chat, router: Router, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    number = meeting_held(seeded, cast, clock.now())
    c = cast.coordinator
    asked = await chat.text(c, f"/notatka {number}")
    assert "napisz ją w jednej wiadomości albo w kilku" in asked
    assert "Zachowane (na razie 16 znaków)" in await chat.text(c, "Pierwszy akapit.")
    # interrupted by another command, then begun again: what was written is kept
    await chat.text(c, "/materialy cyfrowe")
    again = await chat.text(c, f"/notatka {number}")
    assert "jest zachowane (16 znaków)" in again, again
    assert "Zachowane" in await chat.text(c, "Drugi akapit; z wnioskami.")
    said = await chat.text(c, "wyślij")
    assert "wysłane prywatnie do 3 osób" in said
    [note] = [m for m in _materials(seeded) if m.kind == MaterialKind.NOTE]
    assert note.body == "Pierwszy akapit.\n\nDrugi akapit; z wnioskami."

    # a material guided: the file comes in the next message
    asked = await chat.text(c, f"/material {number}")
    assert "Wyślij plik" in asked
    said = "\n".join(
        m.text for m in await with_file(router, c, "", File("mapa.pdf", PDF, "application/pdf"))
    )
    assert "Zapisane w archiwum sieci" in said

    for n in range(11):
        await chat.text(c, f"/material {number} https://zmp.example/{n}.pdf Część {n}")
    first = await chat.say(cast.laureate_rep, "/materialy cyfrowe")
    assert "strona 1 z 2" in first[0].text
    assert "https://zmp.example/10.pdf" in first[0].text and "mapa.pdf" not in first[0].text
    assert [a.command for a in first[0].actions] == ["/materialy cyfrowe 2"]
    second = await chat.text(cast.laureate_rep, "/materialy cyfrowe 2")
    assert "mapa.pdf" in second and "notatka (44 znaki)" in second, second
    file_id = next(m.id for m in _materials(seeded) if m.file_name == "mapa.pdf")
    [shown] = await chat.say(cast.laureate_rep, f"/material_pokaz {file_id}")
    assert shown.files and shown.files[0].content == PDF and shown.files[0].name == "mapa.pdf"
    outsider = await chat.text(cast.mayor, "/materialy cyfrowe")
    assert "mapa.pdf" not in outsider
