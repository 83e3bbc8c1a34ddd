"""Issue #21, done when: a Teams site walked end to end, as the office and the networks live it.

The administrator signs in with `empirie-bot teams login` (the device code, approved at the
fake Entra ID), checks `teams status`, binds the network's channel with `teams bind`; the bot
runs as `run` builds it (TeamsTransport with the credential of the login's cache: the real
msgraph-sdk, kiota, azure-identity and MSAL) against the strict fake Graph, which throttles
each chat and channel, pages, and sends every notification itself. The coordinator binds a
group chat with /polacz and creates a meeting in the channel; people answer by typing in the
channel, in Outlook (the calendar event) and in the thread under the invitation, and the
channel's invitation counts move each time; the bot is down while people write (a thread
reply too) and reads it all back; a 429 storm and an access-token expiry come mid-run; a
feedback poll is answered by typing numbers in the 1:1 chat; an announcement is written in
Teams with formatting, a link and a file. Nothing a person wrote is lost, and outside the
deliberate storm Graph answers the bot no 429 (the counts are logged: empirie.walk)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.app import prepare_database
from bot.cli import main
from bot.http import HttpServer
from bot.outbox import OutboxDispatcher
from bot.router import Router
from bot.transports.teams.transport import TeamsTransport
from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models.announcements import Announcement
from models.core import Person
from models.db import Database
from models.meetings import rsvps
from models.teams import InboxStatus, TeamsInbox
from tests.cast import Cast, find_cast
from tests.conftest import BACKENDS, START, drop_database, fresh_database_url
from tests.fakes import tls
from tests.fakes.graph_api import BOT_USER, FakeGraph, Fault, TlsFront
from tests.fakes.identity import CLIENT_ID, TENANT, FakeEntraID
from tests.fakes.tokens import TokenBook
from tests.test_feedback import ENDS, core_reps
from tests.test_teams import RATE
from tests.test_telegram import free_port

log = logging.getLogger("empirie.walk")

TEAM = "a1b2c3d4-0000-4000-8000-00000000cafe"
CHANNEL = "19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2"
CHANNEL_BOX = f"teams/{TEAM}/channels/{CHANNEL}/messages"
GROUP_CHAT = "19:8b081ef6-4792-4def-b2c9-c363a1bf41d5@thread.v2"
GROUP_BOX = f"chats/{GROUP_CHAT}/messages"
STATE = "walk-client-state"
BOT_UPN = "empirie-bot@zmp.example.org"
KASIA = "c0000000-0000-4000-8000-000000000001"  # the network's coordinator
JAN = "c0000000-0000-4000-8000-000000000002"  # representatives of core cities
ANNA = "c0000000-0000-4000-8000-000000000003"
PIOTR = "c0000000-0000-4000-8000-000000000004"
PEOPLE = {
    KASIA: ("Katarzyna Koordynator", "k.koord@zmp.example.pl"),
    JAN: ("Jan Reprezentant", "jan.rep@lomza.example.pl"),
    ANNA: ("Anna Kolneńska", "anna@kolno.example.pl"),
    PIOTR: ("Piotr Grajewski", "piotr@grajewo.example.pl"),
}
PDF = b"%PDF-1.4 agenda spotkania"
ANNOUNCEMENT = (
    "<p><b>Spotkanie sieci</b> 12 grudnia w <i>Łomży</i>.</p>"
    '<ul><li>program na <a href="https://zmp.pl/program">stronie</a></li>'
    "<li>agenda w załączniku</li></ul>"
)


def private_box(user_id: str) -> str:
    return f"chats/19:{BOT_USER}_{user_id}@unq.gbl.spaces/messages"


@dataclass
class Site:
    """The office's server (CLI, database, the running bot) and Microsoft's cloud (fakes)."""

    entra: FakeEntraID
    graph: FakeGraph
    front: TlsFront
    clock: FrozenClock
    url: str  # the bot's database
    capsys: pytest.CaptureFixture[str]
    port: int = field(default_factory=free_port)  # the bot's HTTP server behind the front
    db: Database | None = None
    cast: Cast | None = None
    settings: Settings | None = None
    router: Router | None = None
    http: HttpServer | None = None
    transport: TeamsTransport | None = None
    outbox: OutboxDispatcher | None = None
    storm_429s: int = 0

    # --- the administrator's terminal --------------------------------------------------
    async def login(self) -> str:
        """`empirie-bot teams login` (it blocks, polling Entra ID); the administrator reads
        the code off the terminal and signs in as the service account."""
        running = asyncio.create_task(asyncio.to_thread(main, ["teams", "login"]))
        out = ""
        for _ in range(300):
            out += self.capsys.readouterr().out
            if found := re.search(r"enter the code (\w+)", out):
                self.entra.approve(found.group(1), BOT_USER)
                break
            assert not running.done(), out
            await asyncio.sleep(0.05)
        assert await asyncio.wait_for(running, 30) == 0
        return out + self.capsys.readouterr().out

    async def cli(self, *args: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, list(args))
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    # --- the running bot ---------------------------------------------------------------
    async def start(self) -> None:
        """What `empirie-bot run` does for Teams (bot/app.py): the HTTP server, then the
        transport with the credential of the login's cache (credential=None)."""
        assert self.router is not None and self.settings is not None and self.db is not None
        self.http = HttpServer("127.0.0.1", self.port)
        self.transport = TeamsTransport(self.router, self.settings, self.http, receive=True)
        self.router.settings = self.transport.settings
        await self.http.start()
        await self.transport.start()
        self.outbox = OutboxDispatcher(self.db, self.clock, {"teams": self.transport})

    async def stop(self) -> None:
        if self.transport is not None:
            await self.transport.stop()
        if self.http is not None:
            await self.http.stop()
        self.transport = self.http = None

    async def drain(self) -> None:
        """Until quiet: the fake's notifications answered, the bot's background work done."""
        assert self.transport is not None
        for _ in range(3000):
            await self.graph.quiet()
            if not self.transport._tasks and not self.graph._tasks:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the bot's background work never ended")

    async def settle(self) -> None:
        """Background work done, then the outbox delivered (the scheduler's job), past the
        debounce of live edits, and the echoes of what it posted taken in."""
        assert self.outbox is not None
        await self.drain()
        self.clock.advance(timedelta(seconds=10))
        await self.outbox.run_once()
        await self.drain()

    async def upkeep(self) -> None:
        """The scheduler's Teams upkeep: subscriptions, new chats, what is still to process."""
        assert self.transport is not None
        await self.transport.maintain()
        await self.settle()

    # --- people in Teams ---------------------------------------------------------------
    async def write(
        self, box: str, who: str, html: str, *, settle: bool = True, **extra: Any
    ) -> dict[str, Any]:
        """A person writes in Teams; Graph notifies the bot by itself."""
        message = await self.graph.post_as_user(box, who, html, **extra)
        if settle:
            await self.settle()
        return message

    def said(self, box: str) -> list[str]:
        return [m["body"]["content"] for m in self.graph.sent(box)]

    def invitation(self, title: str) -> str:
        [posted] = [m for m in self.graph.sent(CHANNEL_BOX) if title in m["body"]["content"]]
        return str(posted["id"])

    def counts(self, message_id: str) -> str:
        [posted] = [m for m in self.graph.sent(CHANNEL_BOX) if m["id"] == message_id]
        found = re.search(r"\b(\d+)/6\b", posted["body"]["content"])
        assert found, posted["body"]["content"]
        return found.group(0)

    def answers(self, meeting: int) -> dict[int, str]:
        assert self.db is not None
        with self.db.session() as s:
            return {r.person_id: r.answer for r in rsvps(s, meeting)}

    def natural_429s(self) -> int:
        """429s Graph answered the bot beyond those injected on purpose (the storm)."""
        return len(self.graph.throttled()) - self.storm_429s


@pytest.fixture(params=BACKENDS)
async def site(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> AsyncIterator[Site]:
    url = fresh_database_url(request.param, tmp_path, "empirie_walk")
    book = TokenBook()  # Entra ID issues, Graph checks
    entra = FakeEntraID(book)
    entra.add_user(BOT_USER, BOT_UPN, "EMPIRIE Bot")
    graph = FakeGraph(book, rate_per_chat=RATE)  # Graph's 1/s per chat, 10x: the bot agrees
    clock = FrozenClock(START)
    graph.follow(clock)
    for user, (name, mail) in PEOPLE.items():
        graph.add_user(user, name, mail)
    graph.add_group_chat(GROUP_CHAT, "EMPIRIE cyfrowe", [KASIA, JAN, ANNA, PIOTR])
    await entra.start()
    await graph.start()
    walk = Site(entra, graph, TlsFront(0), clock, url, capsys)
    walk.front = TlsFront(walk.port)  # the https edge (a reverse proxy) in front of the bot
    await walk.front.start()
    home = tmp_path / "home"  # ~/.IdentityService: the login's token cache
    home.mkdir()
    for name, value in {
        **tls.test_ca().client_env(),
        "HOME": str(home),
        "NO_PROXY": "127.0.0.1,localhost",
        "EMPIRIE_DATABASE_URL": url,
        "EMPIRIE_SEED_DEMO": "false",
        "EMPIRIE_TEAMS_CLIENT_ID": CLIENT_ID,
        "EMPIRIE_TEAMS_TENANT_ID": TENANT,
        "EMPIRIE_TEAMS_AUTHORITY": entra.authority,
        "EMPIRIE_TEAMS_AUTH_RECORD_FILE": str(tmp_path / "teams-auth-record.json"),
        "EMPIRIE_TEAMS_ALLOW_UNENCRYPTED_STORAGE": "true",
        "EMPIRIE_TEAMS_GRAPH_BASE_URL": graph.base_url,
        "EMPIRIE_TEAMS_NOTIFICATION_URL": f"https://127.0.0.1:{walk.front.port}/teams/notifications",
        "EMPIRIE_TEAMS_CLIENT_STATE": STATE,
        "EMPIRIE_TEAMS_RATE_PER_CHAT": str(RATE),
        "EMPIRIE_TEAMS_RATE_OVERALL": "1000",
        "EMPIRIE_TEAMS_DISCOVER_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    try:
        yield walk
    finally:
        await walk.stop()
        await graph.quiet()
        await walk.front.stop()
        await graph.stop()
        await entra.stop()
        if walk.db is not None:
            walk.db.dispose()
        if request.param == "postgres":
            drop_database(url)
        logging.getLogger().handlers[:] = []  # bot.cli set up JSON logging on captured stderr


def give_emails(site: Site) -> None:
    """The roster knows the people's e-mail addresses (the bot links their Teams accounts by
    them when they first write, and invites them to meetings' calendar events)."""
    assert site.db is not None and site.cast is not None
    third = next(
        p for p in core_reps(site.db) if p not in (site.cast.laureate_rep, site.cast.laureate_rep2)
    )
    persons = {
        KASIA: site.cast.coordinator,
        JAN: site.cast.laureate_rep,
        ANNA: site.cast.laureate_rep2,
        PIOTR: third,
    }
    with site.db.session() as s:
        for user, person_id in persons.items():
            person = s.get(Person, person_id)
            assert person is not None
            person.email = PEOPLE[user][1].title() if user == JAN else PEOPLE[user][1]
            s.add(person)


async def test_a_teams_site_walked_end_to_end(site: Site) -> None:
    graph = site.graph

    # 1. the administrator signs in on the server with the device code, on a quiet terminal
    out = await site.login()
    assert f"Signed in as {BOT_UPN}" in out
    code, out, err = await site.cli("teams", "status")
    assert code == 0 and "Sign-in works: EMPIRIE Bot" in out, (out, err)

    # ... loads the office's people (the demo cast here) and binds the network's channel
    site.settings = Settings()
    site.db = prepare_database(site.settings, site.clock, demo=True)
    site.cast = find_cast(site.db)
    give_emails(site)
    code, out, _ = await site.cli("teams", "bind", "cyfrowe", "--team", TEAM, "--channel", CHANNEL)
    assert code == 0 and "Bound channel" in out

    # 2. `run`: the bot signs in silently from the login's cache and subscribes
    site.router = Router(site.db, site.clock, site.settings)
    await site.start()
    assert site.transport is not None and site.transport.me_id == BOT_USER
    assert not site.transport.login_lost
    assert len(site.entra.flows) == 1  # nobody was asked to sign in again
    assert graph.subscription_for("/" + CHANNEL_BOX) is not None
    assert graph.subscription_for("/" + GROUP_BOX) is not None  # found among the bot's chats
    code, out, _ = await site.cli("teams", "status")
    assert code == 0 and f"cyfrowe: {TEAM}/{CHANNEL} — active" in out

    # 3. the coordinator binds the network's group chat from inside it
    await site.write(GROUP_BOX, KASIA, "<p>/polacz cyfrowe</p>")
    assert any("cyfrowe" in text for text in site.said(GROUP_BOX)), site.said(GROUP_BOX)

    # 4. ... and creates a meeting in the channel: an invitation with live counts, an event
    await site.write(
        CHANNEL_BOX,
        KASIA,
        "/spotkanie_nowe cyfrowe; Spotkanie III; 12.12.2026 10:00; "
        "stacjonarne; 3; Łomża, ul. Długa 1; ; 6",
        mention_bot=True,
    )
    invitation = site.invitation("Spotkanie III")
    assert site.counts(invitation) == "0/6"
    assert any("Spotkanie III" in text for text in site.said(GROUP_BOX))
    await site.transport.sync_calendar()  # the scheduler's calendar sync
    [event] = graph.events.values()
    invited = {a["emailAddress"]["address"].lower() for a in event["attendees"]}
    assert {PEOPLE[u][1] for u in (JAN, ANNA, PIOTR)} <= invited

    # 5. answers, each moving the channel's counts: typed in the channel ...
    await site.write(CHANNEL_BOX, JAN, "/rsvp 1 stacjonarnie", mention_bot=True)
    assert site.counts(invitation) == "1/6"
    # ... in Outlook (Graph notifies the calendar change) ...
    graph.respond(event["id"], PEOPLE[ANNA][1], "accepted")
    await site.settle()
    assert site.counts(invitation) == "2/6"
    # ... and as a reply in the thread under the invitation
    await site.write(CHANNEL_BOX, PIOTR, "<p>/rsvp 1 stacjonarnie</p>", reply_to=invitation)
    assert site.counts(invitation) == "3/6"
    cast = site.cast
    assert cast is not None
    assert set(site.answers(1).values()) == {"stacjonarnie"} and len(site.answers(1)) == 3
    assert site.said(private_box(JAN))  # a person's own confirmation goes to them alone

    # 6. the bot is down while people write (a thread reply too); back up, it reads it all
    await site.stop()
    await site.write(CHANNEL_BOX, JAN, "<p>/rsvp 1 nie</p>", reply_to=invitation, settle=False)
    await site.write(GROUP_BOX, KASIA, "<p>/sieci</p>", settle=False)
    assert len(graph.undelivered) == 2  # Graph could not reach the bot
    answered_in_group = len(site.said(GROUP_BOX))
    await site.start()
    await site.settle()
    assert site.answers(1)[cast.laureate_rep] == "nie"
    assert site.counts(invitation) == "2/6"
    assert len(site.said(GROUP_BOX)) == answered_in_group + 1
    assert "cyfrowe" in site.said(GROUP_BOX)[-1]
    assert await graph.redeliver() == 2  # Graph's late retries: nothing is done twice
    await site.settle()
    assert len(site.said(GROUP_BOX)) == answered_in_group + 1
    assert site.counts(invitation) == "2/6"
    normal = site.natural_429s()
    log.info("walk.throttled normal_walk=%s", normal)
    assert normal == 0, [
        (c.method, c.path[-30:], c.query, round(c.at, 2))
        for c in graph.calls
        if "channels" in c.path
    ][-40:]

    # 7. a 429 storm on the channel: what Kasia typed is read and answered all the same
    storm = [
        Fault("GET", CHANNEL_BOX + "/", 429, times=5, retry_after=1),
        Fault("POST", CHANNEL_BOX, 429, times=4, retry_after=1),
    ]
    injected = sum(f.times for f in storm)
    graph.faults += storm
    before = len(site.said(CHANNEL_BOX))
    await site.write(CHANNEL_BOX, KASIA, "/sieci", mention_bot=True)
    for _ in range(20):
        if len(site.said(CHANNEL_BOX)) > before:
            break
        await asyncio.sleep(1)
        await site.settle()
    site.storm_429s = injected
    assert all(f.times == 0 for f in storm)
    assert "cyfrowe" in site.said(CHANNEL_BOX)[-1]
    assert len(graph.throttled()) == site.storm_429s  # only the storm's own
    log.info("walk.throttled storm=%s", site.storm_429s)

    # 8. every access token expires mid-run: the next request refreshes, nothing is lost
    graph.tokens.expire_all()
    await site.write(GROUP_BOX, JAN, "<p>/sieci</p>")
    for _ in range(20):
        if len(site.said(GROUP_BOX)) > answered_in_group + 1:
            break
        await asyncio.sleep(1)
        await site.settle()
    assert len(site.said(GROUP_BOX)) == answered_in_group + 2
    assert site.transport is not None and not site.transport.login_lost

    # 9. a feedback poll after an online meeting, answered by typing numbers in the 1:1 chat
    await site.write(
        CHANNEL_BOX,
        KASIA,
        "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4",
        mention_bot=True,
    )
    await site.write(private_box(JAN), JAN, "<p>/rsvp 2 online</p>")
    assert any("Zapisano" in text for text in site.said(private_box(JAN)))
    site.clock.set(ENDS + timedelta(minutes=30))
    await site.upkeep()  # subscriptions renewed on the new day
    assert site.db is not None and site.settings is not None
    await DueDispatcher(site.db, site.clock, site.settings).run_once()
    await site.settle()
    assert any("Pytanie 1 z 6" in text for text in site.said(private_box(JAN)))
    await site.write(private_box(JAN), JAN, "<p>4</p>")
    said = site.said(private_box(JAN))
    assert any("Pytanie 2 z 6" in text for text in said), said[-3:]
    assert not any("ukośnik" in text for text in said)

    # 10. an announcement written in Teams, with formatting, a link and a file
    kasia = private_box(KASIA)
    graph.user_opens_chat(KASIA)
    await site.upkeep()
    await site.write(kasia, KASIA, "<p>/ogloszenie</p>")
    await site.write(kasia, KASIA, ANNOUNCEMENT)
    await site.write(kasia, KASIA, "", attachments=[graph.share_file("agenda.pdf", PDF, KASIA)])
    assert "Do których sieci" in site.said(kasia)[-1]
    for answer in ("cyfrowe", "wszyscy", "czaty", "nie"):
        await site.write(kasia, KASIA, f"<p>{answer}</p>")
    await site.write(kasia, KASIA, "<p>teraz</p>")
    preview = site.said(kasia)[-1]
    assert "Załącznik: tak" in preview
    number = re.search(r"nr (\d+)", preview)
    assert number, preview
    await site.write(kasia, KASIA, f"<p>/ogloszenie_wyslij {number.group(1)}</p>")
    await site.settle()
    with site.db.session() as s:
        announcement = s.get(Announcement, int(number.group(1)))
        assert announcement is not None
        assert announcement.text == (
            "**Spotkanie sieci** 12 grudnia w _Łomży_.\n"
            "- program na [stronie](https://zmp.pl/program)\n"
            "- agenda w załączniku"
        )
    for box in (CHANNEL_BOX, GROUP_BOX):
        posted = graph.sent(box)
        [body] = [p["body"]["content"] for p in posted if "Spotkanie sieci" in p["body"]["content"]]
        assert "<b>Spotkanie sieci</b> 12 grudnia w <i>Łomży</i>." in body
        assert '<a href="https://zmp.pl/program">stronie</a>' in body
    # the file: in the channel's folder, referenced; in the group chat a OneDrive link
    assert any(
        a.get("name") == "agenda.pdf" for p in graph.sent(CHANNEL_BOX) for a in p["attachments"]
    )
    assert any("agenda.pdf</a>" in text for text in site.said(GROUP_BOX))
    assert PDF in graph.drive_content.values() and graph.downloads  # read through Graph

    # nothing a person wrote is lost; outside the storm Graph never said 429
    with site.db.session() as s:
        left = s.exec(
            select(TeamsInbox).where(
                col(TeamsInbox.status).in_([InboxStatus.PENDING, InboxStatus.FAILED])
            )
        ).all()
    assert left == []
    normal = site.natural_429s()
    log.info("walk.throttled whole_walk_outside_storm=%s storm=%s", normal, site.storm_429s)
    with site.capsys.disabled():  # on the test run's output
        print(f"\n429s: normal walk {normal}, deliberate storm {site.storm_429s}")
    assert normal == 0, [(c.method, c.path) for c in graph.throttled()]
