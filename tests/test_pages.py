"""The answer pages without a browser: each form's validation, and the chat side of links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.http import SECURITY_HEADERS as HTTP_HEADERS
from bot.pages.meetings import NOTE_MAX, rsvp_form
from bot.pages.registry import FormError, PageRequest
from bot.router import Router
from core import links
from core.clock import FrozenClock
from core.config import Settings
from core.i18n import Translator
from core.messages import Outgoing
from core.outbox import to_payload
from models.core import Person
from models.db import Database
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import START, Chat

NEW = (
    "/spotkanie_nowe cyfrowe; Spotkanie II; 12.05.2027 10:00; hybrydowe; 6; "
    "Łomża, ul. Długa 1; ; 40; tak; 5.05.2027 12:00"
)


def request(params: dict[str, links.Param]) -> PageRequest:
    claim = links.Claim(7, links.RSVP, START + timedelta(days=1), params)
    return PageRequest(
        None,
        FrozenClock(START),
        Settings(),
        Person(id=7),  # type: ignore[arg-type]
        claim,
        Translator("pl", Settings().tz),
    )


def test_rsvp_form_becomes_the_typed_command_for_the_linked_meeting() -> None:
    req = request({"meeting": 12})
    assert rsvp_form(req, {"answer": "online"}) == "/rsvp 12 online"
    assert (
        rsvp_form(req, {"answer": "stacjonarnie", "note": "  wegańska\r\ndieta "})
        == "/rsvp 12 stacjonarnie wegańska dieta"
    )
    # the meeting is the signed one, whatever the form says
    assert rsvp_form(req, {"answer": "nie", "meeting": "99"}) == "/rsvp 12 nie"


@pytest.mark.parametrize("answer", ["", "tak", "online; DROP", "/spotkanie_odwolaj 12"])
def test_rsvp_form_refuses_an_unknown_answer(answer: str) -> None:
    with pytest.raises(FormError) as refused:
        rsvp_form(request({"meeting": 12}), {"answer": answer})
    assert refused.value.field == "answer"


def test_rsvp_form_refuses_too_long_notes() -> None:
    assert rsvp_form(request({"meeting": 12}), {"answer": "moze", "note": "x" * NOTE_MAX})
    with pytest.raises(FormError) as refused:
        rsvp_form(request({"meeting": 12}), {"answer": "moze", "note": "x" * (NOTE_MAX + 1)})
    assert refused.value.field == "note"
    assert (
        Translator("pl", Settings().tz)(refused.value.msgid, **refused.value.params)
        == "Uwagi mogą mieć najwyżej 300 znaków."
    )


def test_rsvp_form_without_a_meeting_in_the_link_is_not_a_form() -> None:
    with pytest.raises(LookupError):
        rsvp_form(request({}), {"answer": "online"})


def _queued(db: Database) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.exec(select(OutboxMessage)).all())


def _with_links(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_url": "https://bot.example.org"})


async def test_private_invitations_offer_the_persons_own_answer_page(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    configured = _with_links(settings)
    chat = Chat(Router(seeded, clock, configured))
    cast = find_cast(seeded)
    await chat.text(cast.laureate_rep, "/pomoc")  # linked on the console: reachable privately
    await chat.text(cast.coordinator, NEW)
    rows = _queued(seeded)
    private = [r for r in rows if r.person_id == cast.laureate_rep]
    assert len(private) == 1
    label, _command, url = private[0].payload["actions"][-1]
    assert label == "Odpowiedz na stronie"
    claim = links.signer(seeded, configured, clock.now()).verify(
        url.rsplit("/", 1)[1], clock.now(), links.RSVP
    )
    assert claim.person_id == cast.laureate_rep and claim.params["meeting"] >= 1
    group = [r for r in rows if r.person_id is None]
    assert group and all(len(a) == 2 for r in group for a in r.payload["actions"])


async def test_without_a_public_address_nothing_changes(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    await chat.text(cast.laureate_rep, "/pomoc")
    await chat.text(cast.coordinator, NEW)
    assert all(len(a) == 2 for r in _queued(seeded) for a in r.payload["actions"])
    assert "nie są tu włączone" in await chat.text(cast.laureate_rep, "/strona")
    replies = await chat.say(cast.laureate_rep, "/moje_spotkania")
    assert replies[0].actions == ()


async def test_strona_gives_the_hub_privately_never_in_the_group(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    configured = _with_links(settings)
    chat = Chat(Router(seeded, clock, configured))
    cast = find_cast(seeded)
    replies = await chat.say(cast.laureate_rep, "/strona")
    urls = [a.url for a in replies[0].actions]
    assert [a.label for a in replies[0].actions] == ["Czeka na Ciebie", "Moje najbliższe spotkania"]
    assert all(u and u.startswith("https://bot.example.org/p/") for u in urls)
    assert "/p/hub/" in (urls[0] or "")
    in_group = await chat.say(cast.laureate_rep, "/strona", chat="cyfrowe")
    assert all(not a.url for m in in_group for a in m.actions)
    private = [r for r in _queued(seeded) if r.kind == "page_link"]
    assert [r.person_id for r in private] == [cast.laureate_rep]
    mine = await chat.say(cast.laureate_rep, "/moje_spotkania")
    assert mine[0].actions and mine[0].actions[0].url
    group_mine = await chat.say(cast.laureate_rep, "/moje_spotkania", chat="cyfrowe")
    assert group_mine[0].actions == ()


def test_payload_keeps_pure_links() -> None:
    button = links.button("A", "https://e.org/p/hub/t")
    assert button is not None
    assert to_payload(Outgoing("x", actions=(button,)))["actions"] == [
        ["A", "", "https://e.org/p/hub/t"]
    ]


async def test_the_answer_nudge_carries_the_persons_answer_page(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    from datetime import UTC, datetime

    from jobs.dispatch import DueDispatcher

    configured = _with_links(settings)
    chat = Chat(Router(seeded, clock, configured))
    cast = find_cast(seeded)
    await chat.text(cast.coordinator, NEW)
    # two days before the answer deadline is 3 May, a public holiday: the nudge comes on the
    # next working morning
    clock.set(datetime(2027, 5, 4, 7, 1, tzinfo=UTC))
    await DueDispatcher(seeded, clock, configured).run_once()
    with seeded.session() as s:
        [nudge] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "rsvp_nudge", OutboxMessage.person_id == cast.laureate_rep2
            )
        ).all()
    label, command, url = nudge.payload["actions"][-1]
    assert (label, command) == ("Odpowiedz na stronie", "")
    claim = links.signer(seeded, configured, clock.now()).verify(
        url.rsplit("/", 1)[1], clock.now(), links.RSVP
    )
    assert claim.person_id == cast.laureate_rep2
    assert claim.expires_at == datetime(2027, 5, 12, 8, 0, tzinfo=UTC)  # the meeting's start


async def test_unknown_page_and_the_style_sheet(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    import aiohttp

    from bot import pages
    from bot.http import HttpServer

    http = HttpServer("127.0.0.1", 0)
    pages.install(http, Router(seeded, clock, _with_links(settings)))
    await http.start()
    base = f"http://127.0.0.1:{http.port}"
    try:
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{base}/p/nieznana/abc") as response:
                assert response.status == 404
                assert "Taka strona nie istnieje." in await response.text()
                assert response.headers["X-Frame-Options"] == "DENY"
            async with client.get(f"{base}/p/static/style.css") as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/css")
                assert response.headers["X-Content-Type-Options"] == "nosniff"
            async with client.get(f"{base}/p/static/..%2Fserver.py") as response:
                assert response.status == 404
            async with client.get(
                f"{base}/healthz"
            ) as response:  # the server's own, not the pages'
                assert (
                    response.headers["Content-Security-Policy"]
                    == (HTTP_HEADERS["Content-Security-Policy"])
                )
                assert "style-src" not in response.headers["Content-Security-Policy"]
    finally:
        await http.stop()


async def test_every_answer_under_the_pages_prefix_carries_the_security_headers(
    seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    """aiohttp's own 404 and 405 (no route, wrong method) under /p too, seen by a real client."""
    import aiohttp

    from bot import pages
    from bot.http import HttpServer

    http = HttpServer("127.0.0.1", 0)
    pages.install(http, Router(seeded, clock, _with_links(settings)))
    await http.start()
    base = f"http://127.0.0.1:{http.port}"
    asked = [
        ("GET", "/p", 404),
        ("GET", "/p/", 404),
        ("GET", "/p/a/b/c", 404),  # no route: aiohttp's own 404
        ("GET", "/p/static/..%2Fserver.py", 404),
        ("GET", "/p/static/nie-ma.css", 404),
        ("PUT", "/p/rsvp/abc", 405),  # aiohttp's own 405
        ("DELETE", "/p/static/style.css", 405),
        ("POST", "/p/static/style.css", 404),  # the form route: no such page
        ("GET", "/p/nieznana/abc", 404),  # the pages' own refusal
        ("GET", "/p/static/style.css", 200),
    ]
    try:
        async with aiohttp.ClientSession() as client:
            for method, path, status in asked:
                async with client.request(method, base + path) as response:
                    assert response.status == status, (method, path, response.status)
                    headers = response.headers
                    assert "no-store" in headers.get("Cache-Control", ""), (method, path)
                    assert "default-src 'none'" in headers.get("Content-Security-Policy", "")
                    assert headers.get("Referrer-Policy") == "no-referrer", (method, path)
                    assert headers.get("X-Content-Type-Options") == "nosniff", (method, path)
            # outside the prefix: the server's own headers (bot/http.py), not the pages'
            async with client.get(f"{base}/nie-ma") as response:
                assert response.status == 404
                assert (
                    response.headers["Content-Security-Policy"]
                    == (HTTP_HEADERS["Content-Security-Policy"])
                )
            async with client.get(f"{base}/pages") as response:  # a prefix of a word is not it
                assert "style-src" not in response.headers["Content-Security-Policy"]
    finally:
        await http.stop()


def test_a_links_person_read_without_a_session_is_the_one_a_session_loads(
    seeded: Database,
) -> None:
    """Each link's person is read without an ORM session (`directory.person_by_id`, the pages'
    every request): every column as `session.get` gives it; a change made later through a
    session updates that person's row (never adds a second one); no such person: None."""
    from models import directory

    with seeded.session() as s:
        loaded = {p.id: p.model_dump() for p in s.exec(select(Person)).all()}
    assert loaded
    for person_id, columns in loaded.items():
        with seeded.reading() as c:
            read = directory.person_by_id(c, person_id or 0)
        assert read is not None
        assert read.model_dump() == columns
    with seeded.session() as s:
        s.add(read)
        read.language = "en"
    with seeded.session() as s:
        again = s.get(Person, read.id)
        assert again is not None and again.language == "en"
        assert len(s.exec(select(Person)).all()) == len(loaded)
    with seeded.reading() as c:
        assert directory.person_by_id(c, max(i or 0 for i in loaded) + 1) is None


def test_a_row_made_into_its_model_before_any_query_is_readable() -> None:
    """A fresh server process's first page builds the person and the meeting from rows before
    the ORM has run a query (models.db.detached): they read as loaded ones do."""
    import subprocess
    import sys

    code = (
        "from models.core import Network\n"
        "from models.db import detached\n"
        "n = detached(Network, dict(id=1, code='x', name='Sieć', theme='t', closed=False))\n"
        "print(n.name, n.closed, repr(n))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Sieć False Network(")


def test_the_answer_page_counts_seats_and_waitlist_places_as_the_meeting_does(
    seeded: Database, clock: FrozenClock
) -> None:
    """The page reads one statement, not every answer: what it shows to each person (their
    answer, place on the waitlist, seats taken, people waiting, what they may see) is what
    the whole list of answers says, and the statements it takes do not grow with the list."""
    from sqlalchemy import event

    from models import agenda, directory
    from models.meetings import Answer, Meeting, MeetingFormat, Rsvp
    from tests.burst_scenario import add_representatives

    people = add_representatives(seeded, 12, START)
    with seeded.session() as s:
        network = directory.require_network(s, "cyfrowe")
        meeting = Meeting(
            network_id=network.id or 0,
            title="Spotkanie",
            starts_at=START + timedelta(days=30),
            format=MeetingFormat.HYBRID,
            rsvp_deadline=START + timedelta(days=20),
            capacity=3,
            created_at=START,
        )
        s.add(meeting)
        s.flush()
        meeting_id = meeting.id or 0
        choices = [Answer.IN_PERSON, Answer.ONLINE, Answer.IN_PERSON, Answer.NO]
        in_person = 0
        for i, person in enumerate(people[:-1]):  # the last one has not answered
            answer = choices[i % len(choices)]
            in_person += answer == Answer.IN_PERSON
            s.add(
                Rsvp(
                    meeting_id=meeting_id,
                    person_id=person,
                    answer=answer,
                    waitlisted=answer == Answer.IN_PERSON and in_person > 3,
                    # equal times for some: the waitlist's order is then the answers' ids
                    answered_at=START + timedelta(minutes=i // 4),
                )
            )
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append("")

    for person in people:
        with seeded.session() as s:
            found = s.get(Meeting, meeting_id)
            assert found is not None
            full = agenda.meeting_state(s, found, person)
            event.listen(seeded.engine, "before_cursor_execute", count)
            try:
                page = agenda.answer_page(s.connection(), meeting_id, person)
            finally:
                event.remove(seeded.engine, "before_cursor_execute", count)
        assert page is not None
        shown = page.state
        assert (shown.answer.answer if shown.answer else None) == (
            full.answer.answer if full.answer else None
        )
        assert shown.waitlist_position == full.waitlist_position
        assert (shown.seats_taken, shown.waiting) == (full.seats_taken, full.waiting) == (3, 3)
        assert (shown.observer, shown.details, shown.shown) == (
            full.observer,
            full.details,
            full.shown,
        )
    assert len(statements) == len(people)  # one statement per page, whatever the answers
    with seeded.session() as s:
        assert agenda.answer_page(s.connection(), meeting_id + 1000, people[0]) is None
