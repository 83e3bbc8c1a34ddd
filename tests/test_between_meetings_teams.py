"""Between meetings on Teams (the real msgraph-sdk against the fake Graph): typed commands in the
network's channel are answered in the person's 1:1 chat and nothing lands in the channel; an
action's owner gets it and its reminder in the 1:1 chat with the typed commands (Teams messages
sent through Graph carry no working buttons) and answers there; the contract is acknowledged
by typing; a consultation reaches the core privately, an opinion is typed in the 1:1 chat, and
at the deadline the coordinator gets the opinions as files shared from the bot's OneDrive."""

# ruff: noqa: F811  (the tests take the `teams` fixture imported from tests.test_teams)

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from jobs.dispatch import DueDispatcher
from models import directory
from models.consultations import Opinion
from models.core import City, Person
from models.workplan import ActionStatus, ContractAck, PlanAction
from tests.fakes.graph_api import BOT_USER
from tests.test_teams import (
    CHANNEL_BOX,
    COORD_AAD,
    REP_AAD,
    STATE,
    Teams,
    teams,  # noqa: F401  (the fixture the tests below take)
)

WARSAW = ZoneInfo("Europe/Warsaw")


def private_box(user_id: str) -> str:
    return f"chats/19:{BOT_USER}_{user_id}@unq.gbl.spaces/messages"


def said(teams: Teams, user_id: str) -> list[str]:
    return [m["body"]["content"] for m in teams.graph.sent(private_box(user_id))]


async def typed(teams: Teams, box: str, user: str, text: str, **extra: object) -> None:
    """A person types; Graph notifies the bot; the answer is delivered."""
    message = teams.graph.user_message(box, user, text, **extra)  # type: ignore[arg-type]
    status = await teams.notify(
        teams.graph.notification(teams.subscription_id(box), box, message["id"], STATE)
    )
    assert status == 202
    await teams.settle()


def link_rep(teams: Teams) -> str:
    """The representative of a laureate city uses Teams; returns their city."""
    with teams.db.session() as s:
        directory.link_account(
            s, teams.cast.laureate_rep, "teams", REP_AAD, None, teams.clock.now()
        )
        person = s.get(Person, teams.cast.laureate_rep)
        city = s.get(City, person.city_id if person else None)
        assert city is not None
        return city.name


async def jobs(teams: Teams) -> None:
    await DueDispatcher(teams.db, teams.clock, teams.transport.settings).run_once()
    await teams.settle()


async def test_the_plan_typed_in_the_channel_answered_in_the_one_on_one_chats(
    teams: Teams,
) -> None:
    lomza = link_rep(teams)
    await typed(
        teams,
        CHANNEL_BOX,
        COORD_AAD,
        f"/dzialanie_dodaj cyfrowe; Ankieta o e-usługach; {lomza}; 7.12.2026",
        mention_bot=True,
    )
    assert teams.graph.sent(CHANNEL_BOX) == []  # nothing in the shared channel
    assert any("Działanie nr 1 jest w planie" in t for t in said(teams, COORD_AAD))
    [new] = [t for t in said(teams, REP_AAD) if "Nowe działanie" in t]
    assert "/dzialanie_status 1 zrobione" in new  # the button's typed twin

    teams.clock.set(datetime(2026, 11, 30, 9, 1, tzinfo=WARSAW).astimezone(UTC))
    await teams.transport.maintain()  # days later: the subscriptions renewed
    await jobs(teams)
    [reminder] = [t for t in said(teams, REP_AAD) if "Termin działania nr 1" in t]
    assert "mija za 7 dni" in reminder and "/dzialanie_status 1 w toku" in reminder
    await typed(
        teams, private_box(REP_AAD), REP_AAD, "/dzialanie_status 1 w toku: wysłana do wydziałów"
    )
    assert any("Działanie nr 1 — w toku: wysłana do wydziałów" in t for t in said(teams, REP_AAD))
    with teams.db.session() as s:
        action = s.get(PlanAction, 1)
        assert action is not None and action.status == ActionStatus.IN_PROGRESS

    # the contract, set in the coordinator's 1:1 chat, acknowledged by typing
    await typed(
        teams, private_box(COORD_AAD), COORD_AAD, "/kontrakt_ustaw cyfrowe 1. Szanujemy czas."
    )
    assert any("Kontrakt sieci MIASTO CYFROWE" in t for t in said(teams, REP_AAD))
    await typed(teams, private_box(REP_AAD), REP_AAD, "/kontrakt_akceptuje")
    assert any(f"Dziękuję: {lomza} akceptuje wersję 1" in t for t in said(teams, REP_AAD))
    with teams.db.session() as s:
        [ack] = s.exec(select(ContractAck)).all()
        assert ack.person_id == teams.cast.laureate_rep
    await typed(teams, CHANNEL_BOX, COORD_AAD, "/plan", mention_bot=True)
    assert teams.graph.sent(CHANNEL_BOX) == []
    [plan] = [t for t in said(teams, COORD_AAD) if "Plan pracy sieci" in t]
    assert "Kontrakt: wersja 1, zaakceptowało 1 z 5 miast." in plan


async def test_a_consultation_and_the_opinions_as_files_in_the_one_on_one_chat(
    teams: Teams,
) -> None:
    link_rep(teams)
    await typed(  # typed in the channel: the answer goes to the coordinator's 1:1 chat
        teams,
        CHANNEL_BOX,
        COORD_AAD,
        "/konsultacja cyfrowe; Rekomendacje e-usług; 7.12.2026 12:00; rdzeń; "
        "https://zmp.example/rekomendacje.pdf",
        mention_bot=True,
    )
    assert any("Konsultacja nr 1 sieci MIASTO CYFROWE otwarta" in t for t in said(teams, COORD_AAD))
    [invitation] = [t for t in said(teams, REP_AAD) if "Konsultacja nr 1" in t]
    assert "https://zmp.example/rekomendacje.pdf" in invitation and "/opinia 1" in invitation
    await teams.transport.maintain()  # the new 1:1 chat is listened to
    await typed(teams, private_box(REP_AAD), REP_AAD, "/opinia 1 Popieramy; potrzebny wzór umowy.")
    assert any("zapisana" in t for t in said(teams, REP_AAD))
    with teams.db.session() as s:
        [opinion] = s.exec(select(Opinion)).all()
        assert opinion.text == "Popieramy; potrzebny wzór umowy."

    teams.clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=WARSAW).astimezone(UTC))
    await teams.transport.maintain()
    await jobs(teams)
    closed = [t for t in said(teams, COORD_AAD) if "opinie od 1 z 8" in t or "📎" in t]
    assert any("opinie_konsultacja_1.csv" in t for t in closed), closed
    assert any("opinie_konsultacja_1.pdf" in t for t in closed), closed
    uploaded = list(teams.graph.drive_content.values())
    assert any("Popieramy; potrzebny wzór umowy.".encode() in content for content in uploaded)
    assert teams.graph.sent(CHANNEL_BOX) == []
