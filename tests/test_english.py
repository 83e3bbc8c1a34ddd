"""The English locale leaks no Polish (issue 24): a poll's title on the English page and in
English messages, the free-slot notice, the office-hours calendar file in the recipient's
language, /moje_dane with human labels — on SQLite and PostgreSQL; and no English catalogue entry
is empty."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
from icalendar import Calendar
from sqlmodel import select

from core import links
from core.clock import FrozenClock
from core.config import Settings
from core.i18n import catalogue
from handlers.office_hours.render import free_slot_notice
from jobs.dispatch import DueDispatcher
from models import office_hours as oh
from models.db import Database
from models.feedback import Poll
from tests import test_feedback_page
from tests.cast import find_cast
from tests.conftest import Chat
from tests.test_feedback import ENDS, core_reps, make_meeting, outbox
from tests.test_feedback_page import Site
from tests.test_office_hours import FIRST, define
from tests.test_office_hours import core_reps as city_reps

site = test_feedback_page.site  # the answer pages over HTTP on 127.0.0.1 (a fixture)
INTERNAL_WORDS = ("official", "poll_participant", "progress", "reminded", "representative_", "pl")


async def test_a_polls_title_is_in_the_readers_language(
    site: Site, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    english, polish = core_reps(seeded)[:2]
    await site.chat.say(english, "/jezyk en")
    meeting = await make_meeting(site.chat, cast.coordinator)
    for who in (english, polish):
        await site.chat.say(who, f"/rsvp {meeting} online")
    clock.set(ENDS + timedelta(hours=1))
    await DueDispatcher(seeded, clock, site.settings).run_once()
    intros = {r.person_id: r.payload["text"] for r in outbox(seeded, "feedback_poll")}
    assert intros[english].startswith(f"📝 Feedback on meeting #{meeting} “")
    assert intros[polish].startswith(f"📝 Ankieta po spotkaniu nr {meeting} „")
    with seeded.session() as s:
        [poll] = s.exec(select(Poll)).all()
    listed = await site.chat.text(english, "/feedback")
    assert f"#{poll.id} Feedback on meeting #{meeting} “" in listed
    url = links.page_url(seeded, site.settings, english, links.FEEDBACK, clock.now(), poll=poll.id)
    assert url is not None
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
        page = await (await web.get(url)).text()
    assert f"Feedback on meeting #{meeting}" in page and "Ankieta po spotkaniu" not in page


async def test_office_hours_calendar_and_free_slot_in_the_readers_language(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    first = (await define(chat, cast.expert))[0]
    clock.set(FIRST - timedelta(days=7))  # bookings open a week ahead
    english, polish = city_reps(seeded)[:2]
    await chat.say(english, "/jezyk en")
    summaries = {}
    for who, slot in ((english, 1), (polish, 2)):
        [booked] = await chat.say(who, f"/dyzur_rezerwuj {first} {slot} Fundusze UE")
        [ics] = booked.files
        summaries[who] = str(Calendar.from_ical(ics.content).walk("VEVENT")[0]["SUMMARY"])
    assert summaries == {
        english: "MIASTO CYFROWE: the expert's office hours",
        polish: "MIASTO CYFROWE: dyżur eksperta",
    }
    # the group's notice of a freed slot, in the bot's language
    for language, start in (("pl", "🟢 Wolny termin: dyżur nr"), ("en", "🟢 A free slot: office")):
        configured = settings.model_copy(update={"default_language": language})
        clock.advance(timedelta(minutes=1))  # one notice per slot and moment
        with seeded.session() as s:
            assert free_slot_notice(s, clock.now(), oh.get_session(s, first), 3, configured)
        text = outbox(seeded, "office_free")[-1].payload["text"]
        assert text.startswith(start) and ("Wolny" in text) == (language == "pl"), text


async def test_my_data_reads_in_words_not_internal_keys(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    meeting = await make_meeting(chat, cast.coordinator)
    await chat.say(cast.laureate_rep, f"/rsvp {meeting} online")
    clock.set(ENDS + timedelta(hours=1))
    await DueDispatcher(seeded, clock, settings).run_once()  # the poll after the meeting
    for language, expected in (
        ("pl", ("Ankiety, o których wypełnienie Cię poproszono", "pracownik urzędu", "konsola")),
        ("en", ("Feedback polls you were asked", "city official", "English")),
    ):
        await chat.say(cast.laureate_rep, f"/jezyk {language}")
        [reply] = await chat.say(cast.laureate_rep, "/moje_dane")
        [file] = reply.files
        text = file.content.decode()
        keys: list[str] = []

        def walk(value: object, keys: list[str] = keys) -> None:
            if isinstance(value, dict):
                keys.extend(value)
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(json.loads(text))
        assert not [k for k in keys if "_" in k], keys  # no column names
        assert all(f'"{word}"' not in text for word in INTERNAL_WORDS), text
        assert all(word in text for word in expected), text
        prefix = "moje_dane" if language == "pl" else "my_data"
        assert file.name == f"{prefix}_{cast.laureate_rep}.json"


def test_every_english_entry_is_filled() -> None:
    """An English reader never meets an empty entry (`python -m tools.i18n` fills the English
    catalogue from the ids); a message whose id is not English gets its own wording."""
    from babel.messages.pofile import read_po

    from core.i18n import LOCALE_DIR

    empty = []
    for path in sorted((LOCALE_DIR / "en" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="en")
        empty += [f"{path.name}: {m.id!r}" for m in catalog if m.id and not m.string]
    assert empty == []
    english = catalogue("en")
    assert english["Office hours"] == "Office hours"
    assert not any("Wolny termin" in text for text in english.values())
