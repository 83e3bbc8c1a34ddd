"""Who staff may check in at a meeting (issue 23, item 10), on SQLite and PostgreSQL.

The network's own people, yes: its cities' representatives (an observer city's only when the
meeting has an open part), its support team, the coordinating team. Someone from outside the
network is refused with the reason, privately — unless the organiser marks them as a guest
(`gość`), which the handbook allows for experts invited to a meeting; the leaders' network is
closed and takes no guests. A guest signs the list but is not asked the network's feedback."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory
from models.db import Database
from models.enums import Role
from models.meetings import Rsvp
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_meetings import create

LEADERS = (
    "/spotkanie_nowe liderzy; Forum liderów; 12.05.2027 10:00; stacjonarne; 6; "
    "Łomża, ul. Długa 1; ; ; nie; 5.05.2027 12:00"
)
ON_THE_DAY = datetime(2027, 5, 12, 8, 15, tzinfo=UTC)


def people_of(db: Database, code: str, role: Role) -> set[int]:
    with db.session() as s:
        network = directory.require_network(s, code)
        return {p.id or 0 for p, r, _c in directory.members(s, network.id or 0) if r == role}


def checked_in(db: Database, meeting_id: int) -> set[int]:
    with db.session() as s:
        rows = s.exec(select(Rsvp).where(Rsvp.meeting_id == meeting_id)).all()
        return {r.person_id for r in rows if r.checked_in_at is not None}


async def test_a_mayor_of_the_leaders_network_is_not_checked_in_at_a_cyfrowe_meeting(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    cyfrowe = people_of(seeded, "cyfrowe", Role.REPRESENTATIVE)
    mayor = min(people_of(seeded, "liderzy", Role.REPRESENTATIVE) - cyfrowe)
    meeting_id = await create(chat, cast.coordinator)
    clock.set(ON_THE_DAY)
    # typed in the network's chat: the refusal goes to the organiser alone, with the way out
    [refused] = await chat.say(cast.organiser, f"/jestem {meeting_id} {mayor}", chat="cyfrowe")
    assert refused.to is not None and refused.to.chat_id == str(cast.organiser)
    assert refused.text == (
        f"Osoba „{mayor}” nie należy do sieci MIASTO CYFROWE. Gościa zaproszonego na "
        f"spotkanie (np. eksperta) odnotuj ze słowem „gość”: /jestem {meeting_id} {mayor} gość"
    )
    assert checked_in(seeded, meeting_id) == set()
    # the coordinator is refused alike, in a private chat too
    assert "nie należy do sieci MIASTO CYFROWE" in await chat.text(
        cast.coordinator, f"/jestem {meeting_id} {mayor}"
    )
    assert checked_in(seeded, meeting_id) == set()
    # the network's own people are checked in as before
    member = min(cyfrowe)
    assert "Obecność potwierdzona:" in await chat.text(
        cast.organiser, f"/jestem {meeting_id} {member}"
    )
    assert checked_in(seeded, meeting_id) == {member}


async def test_a_guest_is_marked_as_one_signs_the_list_and_gets_no_feedback_poll(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    cyfrowe = people_of(seeded, "cyfrowe", Role.REPRESENTATIVE)
    guest = min(people_of(seeded, "zielone", Role.REPRESENTATIVE) - cyfrowe)
    member = min(cyfrowe)
    meeting_id = await create(chat, cast.coordinator)
    clock.set(ON_THE_DAY)
    with seeded.session() as s:
        name = directory.people_by_id(s, [guest])[guest].display_name
    assert await chat.text(cast.organiser, f"/jestem {meeting_id} {guest} gość") == (
        f"Obecność potwierdzona (gość): {name}, spotkanie nr {meeting_id}."
    )
    assert "Obecność potwierdzona:" in await chat.text(
        cast.organiser,
        f"/jestem {meeting_id} {member} gosc",  # a member stays a member
    )
    assert checked_in(seeded, meeting_id) == {guest, member}
    [sheet] = await chat.say(cast.organiser, f"/lista_obecnosci {meeting_id}")
    assert name in sheet.files[0].content.decode("utf-8-sig")  # they were there: they sign
    # the poll after the meeting is the network's: the guest is not asked
    clock.set(datetime(2027, 5, 12, 14, 30, tzinfo=UTC) + timedelta(hours=1))
    await DueDispatcher(seeded, clock, settings).run_once()
    with seeded.session() as s:
        asked = {
            m.person_id
            for m in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "feedback_poll"))
        }
    assert asked == {member}


async def test_the_leaders_network_takes_no_guests(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    leaders = people_of(seeded, "liderzy", Role.REPRESENTATIVE)
    coordinator = min(people_of(seeded, "liderzy", Role.COORDINATOR))
    outsider = min(people_of(seeded, "cyfrowe", Role.REPRESENTATIVE) - leaders)
    reply = await chat.text(coordinator, LEADERS, chat="liderzy")
    match = re.search(r"Spotkanie nr (\d+) opublikowane", reply)
    assert match, reply
    meeting_id = int(match.group(1))
    clock.set(ON_THE_DAY)
    for typed in (f"{outsider}", f"{outsider} gość"):
        refused = await chat.text(cast.organiser, f"/jestem {meeting_id} {typed}")
        assert refused == (
            f"Osoba „{outsider}” nie należy do sieci LEADERSHIP = PRZYWÓDZTWO, WIZJA I "
            "ODPOWIEDZIALNOŚĆ. To sieć zamknięta: w jej spotkaniach biorą udział tylko jej "
            "członkowie, gości się nie odnotowuje."
        )
    assert checked_in(seeded, meeting_id) == set()
    mayor = min(leaders)
    assert "Obecność potwierdzona:" in await chat.text(
        cast.organiser, f"/jestem {meeting_id} {mayor}"
    )
    assert checked_in(seeded, meeting_id) == {mayor}


async def test_an_observer_is_checked_in_only_where_there_is_an_open_part(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    closed = await create(chat, cast.coordinator, open_part="nie")
    clock.set(ON_THE_DAY)
    assert await chat.text(cast.organiser, f"/jestem {closed} {cast.observer_rep}") == (
        "To spotkanie nie ma części otwartej, więc obserwatorzy nie biorą w nim udziału."
    )
    assert checked_in(seeded, closed) == set()
