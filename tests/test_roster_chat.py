"""Keeping the roster current from the chat: coordinators add cities and people, change
standings, replace and end representatives, give and take staff roles; strangers ask to join
with /zglos and a coordinator accepts or rejects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core.clock import FrozenClock
from core.config import Settings
from jobs.dispatch import DueDispatcher
from models import directory
from models.core import AuditEntry, City, Person
from models.db import Database
from models.enums import Role, Standing
from models.joins import JoinRequest
from models.meetings import Meeting, Rsvp
from models.outbox import OutboxMessage
from tests.cast import find_cast
from tests.conftest import Chat


def roles(db: Database, person_id: int, code: str) -> frozenset[Role]:
    with db.session() as s:
        network = directory.require_network(s, code)
        return directory.roles_of(s, person_id, network.id)


def standing(db: Database, city: str, code: str) -> Standing | None:
    with db.session() as s:
        found = s.exec(select(City).where(City.name == city)).first()
        network = directory.require_network(s, code)
        return directory.standing_of(s, found.id if found else None, network.id)


def outbox_to(db: Database, chat_id: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            ).all()
        )


async def test_add_city_and_change_its_standing(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    usage = await chat.text(cast.coordinator, "/miasto_dodaj cyfrowe; Płock")
    assert usage == (
        "Użycie: /miasto_dodaj <sieć>; <miasto>; <status>[; <województwo>]\n"
        "Na przykład: /miasto_dodaj cyfrowe; Łomża; obserwator"
    )
    reply = await chat.text(
        cast.coordinator, "/miasto_dodaj cyfrowe; Płock; obserwator; mazowieckie"
    )
    assert (
        reply == "• dodano miasto: Płock\n• Płock dołącza do sieci MIASTO CYFROWE jako obserwator"
    )
    again = await chat.text(cast.coordinator, "/miasto_dodaj cyfrowe; płock; laureat")
    assert again.startswith("Miasto płock już jest w sieci cyfrowe (obserwator).")
    reply = await chat.text(cast.coordinator, "/status cyfrowe; Płock; lider zmian")
    assert reply == "Status Płock w sieci MIASTO CYFROWE: obserwator → lider zmian."
    assert standing(seeded, "Płock", "cyfrowe") is Standing.CHANGE_LEADER
    with seeded.session() as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action == "standing.set")).all()
    assert [(e.actor_id, e.details["new"]) for e in entries] == [
        (cast.coordinator, "obserwator"),
        (cast.coordinator, "lider_zmian"),
    ]

    refused = await chat.text(cast.other_coordinator, "/status cyfrowe; Płock; laureat")
    assert refused == "Nie masz uprawnień, aby zrobić to w sieci MIASTO CYFROWE."
    in_group = await chat.text(cast.coordinator, "/status cyfrowe; Płock; laureat", "cyfrowe")
    assert in_group.startswith("Zmiany w składzie wprowadza się w prywatnym czacie ze mną")
    rep = await chat.text(cast.laureate_rep, "/status cyfrowe; Płock; laureat")
    assert rep == "Nie masz uprawnień, aby zrobić to w sieci MIASTO CYFROWE."
    assert standing(seeded, "Płock", "cyfrowe") is Standing.CHANGE_LEADER


async def test_add_a_person_within_the_handbooks_limits(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    await chat.text(cast.coordinator, "/miasto_dodaj cyfrowe; Płock; laureat")
    for n, name in enumerate(("Anna Kowalska", "Jan Wąs", "Ewa Żak")):
        reply = await chat.text(
            cast.coordinator, f"/osoba_dodaj cyfrowe; Płock; {name}; Specjalista; osoba{n}@plock.pl"
        )
        assert f"• dodano osobę: {name} (Płock)" in reply
        assert "/zaproszenie" in reply
    fourth = await chat.text(
        cast.coordinator, "/osoba_dodaj cyfrowe; Płock; Piotr Łoś; Specjalista"
    )
    assert fourth == (
        "Miasto ma już w sieci cyfrowe 3 przedstawicieli. Zamiast dodawać "
        "kolejną osobę, zastąp jedną z nich."
    )
    bad_mail = await chat.text(
        cast.coordinator, "/osoba_dodaj cyfrowe; Płock; Piotr Łoś; Specjalista; piotr@"
    )
    assert bad_mail == "„piotr@” nie jest adresem e-mail."
    unknown_city = await chat.text(
        cast.coordinator, "/osoba_dodaj cyfrowe; Radom; Piotr Łoś; Specjalista"
    )
    assert unknown_city.startswith("Miasta Radom nie ma w sieci cyfrowe.")
    with seeded.session() as s:
        assert s.exec(select(Person).where(Person.name == "Piotr Łoś")).first() is None

    await chat.text(cast.team, "/miasto_dodaj liderzy; Płock; laureat")
    official = await chat.text(cast.team, "/osoba_dodaj liderzy; Płock; Jan Kos; Naczelnik")
    assert official == (
        "Do sieci liderów należą wyłącznie burmistrzowie, prezydenci miast i ich zastępcy."
    )
    mayor = await chat.text(
        cast.team, "/osoba_dodaj liderzy; Płock; Andrzej Nowakowski; Prezydent Miasta Płocka"
    )
    assert "• dodano rolę: Andrzej Nowakowski" in mayor
    with seeded.session() as s:
        assert s.exec(select(Person).where(Person.name == "Jan Kos")).first() is None


async def test_replacing_a_representative_releases_answers_and_tells_the_coordinator(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    with seeded.session() as s:
        network = directory.require_network(s, "cyfrowe")
        meeting = Meeting(
            network_id=network.id or 0,
            title="Spotkanie w Łomży",
            starts_at=clock.now() + timedelta(days=20),
            format="stacjonarne",
            rsvp_deadline=clock.now() + timedelta(days=10),
            capacity=1,
            created_at=clock.now(),
        )
        s.add(meeting)
        s.flush()
        s.add(
            Rsvp(
                meeting_id=meeting.id or 0,
                person_id=cast.laureate_rep,
                answer="stacjonarnie",
                answered_at=clock.now(),
            )
        )
        s.add(
            Rsvp(
                meeting_id=meeting.id or 0,
                person_id=cast.laureate_rep2,
                answer="stacjonarnie",
                waitlisted=True,
                answered_at=clock.now() + timedelta(minutes=1),
            )
        )
        old = s.get(Person, cast.laureate_rep)
        assert old is not None
    reply = await chat.text(
        cast.team,
        f"/zastap cyfrowe; {cast.laureate_rep}; Jan Nowak; "
        "Specjalista ds. e-usług; j.nowak@example.pl",
    )
    assert (
        f"• zakończono rolę: {old.name} — przedstawiciel(ka) miasta w sieci MIASTO CYFROWE" in reply
    )
    assert "• dodano rolę: Jan Nowak — przedstawiciel(ka) miasta w sieci MIASTO CYFROWE" in reply
    assert "Zwolniono odpowiedzi na 1 nadchodzące spotkanie." in reply
    assert Role.REPRESENTATIVE not in roles(seeded, cast.laureate_rep, "cyfrowe")
    with seeded.session() as s:
        new = s.exec(select(Person).where(Person.name == "Jan Nowak")).one()
        assert new.city_id == old.city_id
        answers = {r.person_id: r for r in s.exec(select(Rsvp)).all()}
        assert answers[cast.laureate_rep].answer == "nie"
        assert not answers[cast.laureate_rep2].waitlisted
        assert s.exec(
            select(AuditEntry).where(
                AuditEntry.action == "person.replace", AuditEntry.actor_id == cast.team
            )
        ).first()
    told = [m.payload["text"] for m in outbox_to(seeded, str(cast.coordinator))]
    assert told == [
        f"Zmiana w składzie sieci cyfrowe: Jan Nowak zastępuje osobę {old.name} "
        f"({directory_city(seeded, old.city_id)}). Jej odpowiedzi na nadchodzące "
        "spotkania zostały zwolnione."
    ]
    promoted = [m.payload["text"] for m in outbox_to(seeded, str(cast.laureate_rep2))]
    assert any(t.startswith("Zwolniło się miejsce") for t in promoted)

    not_rep = await chat.text(cast.coordinator, f"/zastap cyfrowe; {cast.laureate_rep}; Ola")
    assert not_rep.endswith("nie jest przedstawicielem miasta w sieci cyfrowe.")


def directory_city(db: Database, city_id: int | None) -> str | None:
    with db.session() as s:
        return directory.city_name(s, city_id)


async def test_ending_membership_keeps_the_person(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    reply = await chat.text(cast.coordinator, f"/zakoncz cyfrowe; {cast.observer_rep}")
    assert reply.startswith("Zakończono rolę: ")
    assert roles(seeded, cast.observer_rep, "cyfrowe") == frozenset()
    people = await chat.text(cast.coordinator, "/osoby cyfrowe")
    assert f"#{cast.observer_rep} " not in people
    with seeded.session() as s:
        assert s.get(Person, cast.observer_rep) is not None
    again = await chat.text(cast.coordinator, f"/zakoncz cyfrowe; {cast.observer_rep}")
    assert again.endswith("nie ma żadnej roli w sieci cyfrowe.")
    # An ended role is history, not a network: nothing upcoming for them any more.
    assert (
        await chat.text(cast.observer_rep, "/moje_spotkania") == "Nie masz nadchodzących spotkań."
    )


async def test_staff_roles_are_given_and_taken(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    reply = await chat.text(cast.coordinator, f"/rola_nadaj cyfrowe; {cast.laureate_rep2}; ekspert")
    assert reply.startswith("Dodano rolę: ")
    assert Role.EXPERT in roles(seeded, cast.laureate_rep2, "cyfrowe")
    reply = await chat.text(
        cast.coordinator, f"/rola_odbierz cyfrowe; {cast.laureate_rep2}; ekspert"
    )
    assert reply.startswith("Zakończono rolę: ")
    assert Role.EXPERT not in roles(seeded, cast.laureate_rep2, "cyfrowe")
    assert Role.REPRESENTATIVE in roles(seeded, cast.laureate_rep2, "cyfrowe")

    team = await chat.text(cast.coordinator, f"/rola_nadaj wszystkie; {cast.expert}; zespół")
    assert team == "Skład zespołu koordynującego może zmieniać tylko sam zespół."
    team = await chat.text(cast.team, f"/rola_nadaj wszystkie; {cast.expert}; zespół")
    assert team.endswith(" — zespół koordynujący.")
    assert Role.COORDINATING_TEAM in roles(seeded, cast.expert, "zielone")
    mixed = await chat.text(cast.team, f"/rola_nadaj cyfrowe; {cast.expert}; zespół")
    assert mixed.startswith("Zespół koordynujący działa we wszystkich sieciach")
    rep = await chat.text(cast.coordinator, f"/rola_nadaj cyfrowe; {cast.expert}; przedstawiciel")
    assert rep.startswith("Role zespołu wsparcia to:")
    with seeded.session() as s:
        grants = s.exec(
            select(AuditEntry).where(
                AuditEntry.action == "role.grant", AuditEntry.actor_id == cast.team
            )
        ).all()
    assert len(grants) == 1


async def answer_join_questions(
    chat: Chat, who: str, networks: str, position: str = "Naczelnik Wydziału Cyfryzacji"
) -> list[str]:
    replies = [await chat.text(who, "/zglos")]
    for answer in ("Płock", "Marta Kwiatkowska", position, "m.kwiatkowska@plock.eu", networks):
        replies.append(await chat.text(who, answer))
    return replies


async def test_join_request_accepted_adds_and_links_the_person(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    replies = await answer_join_questions(chat, "tg-777", "cyfrowe")
    assert replies[0].startswith("Zadam Ci pięć krótkich pytań")
    assert replies[0].endswith("Jakie miasto reprezentujesz? (np. Łomża)")
    assert replies[4].startswith("Do której sieci (lub sieci) chcesz dołączyć?")
    assert replies[5].startswith(
        "Dziękuję! Twoje zgłoszenie nr 1 trafiło do koordynatorów sieci: MIASTO CYFROWE."
    )
    assert outbox_to(seeded, str(cast.coordinator)) == []  # the summary tells, not each request
    await DueDispatcher(seeded, clock, settings).run_once()
    offer = outbox_to(seeded, str(cast.coordinator))
    assert len(offer) == 1
    text = offer[0].payload["text"]
    assert text.startswith(
        "📥 MIASTO CYFROWE: 1 nowe zgłoszenie czeka na Twoją decyzję.\n\n"
        "Zgłoszenie nr 1 do sieci MIASTO CYFROWE:\nMarta Kwiatkowska, "
        "Naczelnik Wydziału Cyfryzacji\nPłock (jeszcze nie w sieci"
    )
    assert text.endswith("Lista z poleceniami przyjęcia i odrzucenia: /zgloszenia cyfrowe")
    assert offer[0].payload["actions"] == [
        ["Przyjmij", "/przyjmij 1 cyfrowe"],
        ["Odrzuć", "/odrzuc 1 cyfrowe"],
    ]
    assert outbox_to(seeded, str(cast.other_coordinator)) == []

    stranger = await chat.text(cast.other_coordinator, "/przyjmij 1 cyfrowe")
    assert stranger.startswith("O tym zgłoszeniu decyduje tylko koordynator sieci")
    in_group = await chat.text(cast.coordinator, "/przyjmij 1 cyfrowe", "cyfrowe")
    assert in_group == "O zgłoszeniach decyduje się w prywatnym czacie ze mną."

    accepted = await chat.text(cast.coordinator, "/przyjmij 1 cyfrowe")
    assert accepted.startswith(
        "Przyjęto: Marta Kwiatkowska (Płock) dołącza do sieci MIASTO CYFROWE."
    )
    assert standing(seeded, "Płock", "cyfrowe") is Standing.OBSERVER
    with seeded.session() as s:
        marta = directory.person_by_account(s, "console", "tg-777")
        assert marta is not None and marta.email == "m.kwiatkowska@plock.eu"
        request = s.get(JoinRequest, 1)
        assert request is not None and request.status == "accepted"
    assert Role.REPRESENTATIVE in roles(seeded, marta.id or 0, "cyfrowe")
    welcome = [m.payload["text"] for m in outbox_to(seeded, "tg-777")]
    assert welcome == [
        "Witaj! Twoje zgłoszenie zostało przyjęte: należysz teraz do sieci "
        "MIASTO CYFROWE. Twoje konto jest połączone. Wpisz /pomoc, aby "
        "zobaczyć, co możesz zrobić."
    ]
    assert await chat.text("tg-777", "/start") == (
        "Dzień dobry, Marta Kwiatkowska! Wpisz /pomoc, aby zobaczyć, co możesz zrobić."
    )
    twice = await chat.text(cast.coordinator, "/przyjmij 1 cyfrowe")
    assert twice == "Zgłoszenie nr 1 zostało już rozpatrzone."


async def test_join_request_rejected_is_told_politely(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    await answer_join_questions(chat, "tg-888", "cyfrowe, zielone")
    await DueDispatcher(seeded, clock, settings).run_once()
    assert len(outbox_to(seeded, str(cast.coordinator))) == 1  # each network's summary
    assert len(outbox_to(seeded, str(cast.other_coordinator))) == 1
    again = await chat.text("tg-888", "/zglos")
    assert again.startswith("Masz już zgłoszenie czekające na koordynatora (nr 1).")
    reply = await chat.text(cast.coordinator, "/odrzuc 1 cyfrowe Sieć jest już pełna")
    assert (
        reply == "Odrzucono zgłoszenie nr 1 do sieci MIASTO CYFROWE. Uprzejmie "
        "powiadomiłem tę osobę."
    )
    told = [m.payload["text"] for m in outbox_to(seeded, "tg-888")]
    assert told == [
        "Dziękujemy za zainteresowanie siecią MIASTO CYFROWE. Tym razem koordynator "
        "nie mógł przyjąć Twojego zgłoszenia.\nUwaga koordynatora: Sieć jest już "
        "pełna\nW razie pytań napisz do Związku Miast Polskich (ZMP)."
    ]
    with seeded.session() as s:
        request = s.get(JoinRequest, 1)
        assert request is not None and request.status == "open"  # zielone still decides
    await chat.text(cast.other_coordinator, "/odrzuc 1")
    with seeded.session() as s:
        request = s.get(JoinRequest, 1)
        assert request is not None and request.status == "rejected"
        assert directory.person_by_account(s, "console", "tg-888") is None
    fresh = await chat.text("tg-888", "/zglos")
    assert fresh.startswith("Zadam Ci pięć krótkich pytań")


async def test_join_request_rules(chat: Chat, seeded: Database, clock: FrozenClock) -> None:
    cast = find_cast(seeded)
    replies = await answer_join_questions(chat, "tg-901", "liderzy", position="Specjalista")
    assert replies[5].startswith("Do sieci liderów należą wyłącznie burmistrzowie")
    assert replies[5].splitlines()[1].startswith("Do której sieci")  # asked again
    cancelled = await chat.text("tg-901", "/anuluj")
    assert cancelled == "Przerwano."
    assert await chat.text("tg-901", "Płock") == (
        "Polecenia zaczynają się od ukośnika. Wpisz /pomoc, aby zobaczyć, co możesz zrobić."
    )

    await chat.text("tg-902", "/zglos")
    for answer in ("Płock", "Jan Kos", "Burmistrz Miasta Płocka"):
        await chat.text("tg-902", answer)
    assert await chat.text("tg-902", "jan@") == (
        "„jan@” nie jest adresem e-mail.\nTwój służbowy adres e-mail?"
    )
    await chat.text("tg-902", "jan.kos@plock.eu")
    done = await chat.text("tg-902", "liderzy")
    assert done.startswith("Dziękuję! Twoje zgłoszenie nr 2")  # a mayor may ask for liderzy
    clock.advance(timedelta(days=15))
    late = await chat.text(cast.team, "/przyjmij 2")
    assert late == "Zgłoszenie nr 2 wygasło (po 14 dniach)."
    with seeded.session() as s:
        request = s.get(JoinRequest, 2)
        assert request is not None and request.status == "expired"
    known = await chat.text(cast.laureate_rep, "/zglos")
    assert known.startswith("Jesteś już w składzie jako")


async def test_guided_commands_ask_one_question_at_a_time(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    assert (
        await chat.text(cast.laureate_rep, "/osoba_dodaj")
        == "Skład zmieniają tylko koordynatorzy i zespół koordynujący."
    )
    await chat.text(cast.coordinator, "/miasto_dodaj cyfrowe; Płock; laureat")
    asked = [await chat.text(cast.coordinator, "/osoba_dodaj")]
    for answer in ("cyfrowe", "Płock", "", "Anna Kowalska", "Specjalistka ds. e-usług", "-"):
        asked.append(await chat.text(cast.coordinator, answer))
    assert asked[:6] == [
        "/anuluj przerywa.\nKod sieci? (np. cyfrowe; /sieci podaje listę)",
        "Miasto?",
        "Imię i nazwisko?",
        "Imię i nazwisko?",
        "Stanowisko?",
        "E-mail? „-” pomija.",
    ]
    assert asked[6].startswith("• dodano osobę: Anna Kowalska (Płock)")
    with seeded.session() as s:
        anna = s.exec(select(Person).where(Person.name == "Anna Kowalska")).one()
        assert anna.email is None and anna.position == "Specjalistka ds. e-usług"
    assert Role.REPRESENTATIVE in roles(seeded, anna.id or 0, "cyfrowe")

    await chat.text(cast.coordinator, "/status")
    await chat.text(cast.coordinator, "cyfrowe")
    await chat.text(cast.coordinator, "Płock")
    wrong = await chat.text(cast.coordinator, "zwycięzca")
    assert wrong == (
        "Nieznany status „zwycięzca”: laureat, finalista, lider zmian albo "
        "obserwator.\nWpisz /status, aby zacząć od nowa."
    )
    assert standing(seeded, "Płock", "cyfrowe") is Standing.LAUREATE
    await chat.text(cast.coordinator, "/zakoncz")
    assert await chat.text(cast.coordinator, "/anuluj") == "Przerwano."


async def test_an_undecided_request_lapses_after_14_days_and_the_person_is_told(
    chat: Chat, seeded: Database, clock: FrozenClock, settings: Settings
) -> None:
    cast = find_cast(seeded)
    await answer_join_questions(chat, "tg-950", "zielone")
    jobs = DueDispatcher(seeded, clock, settings)
    clock.advance(timedelta(days=13, hours=23))
    await jobs.run_once()
    assert outbox_to(seeded, "tg-950") == []
    clock.advance(timedelta(hours=2))
    await jobs.run_once()
    assert [m.payload["text"] for m in outbox_to(seeded, "tg-950")] == [
        "Twoje zgłoszenie nr 1 do sieci MIASTO NEUTRALNE KLIMATYCZNIE / ZIELONE wygasło po 14 "
        "dniach bez decyzji. Możesz zgłosić się ponownie komendą /zglos albo napisać do "
        "Związku Miast Polskich (ZMP)."
    ]
    assert (
        await chat.text(cast.other_coordinator, "/przyjmij 1")
        == "Zgłoszenie nr 1 wygasło (po 14 dniach)."
    )
    await jobs.run_once()
    assert len(outbox_to(seeded, "tg-950")) == 1  # told once
    assert (await chat.text("tg-950", "/zglos")).startswith("Zadam Ci pięć krótkich pytań")


def test_one_open_request_per_account_is_enforced_by_the_database(
    db: Database, clock: FrozenClock
) -> None:
    def add(external_id: str, status: str) -> None:
        with db.session() as s:
            s.add(
                JoinRequest(
                    platform="telegram",
                    external_id=external_id,
                    status=status,
                    created_at=clock.now(),
                )
            )

    add("1", "open")
    with pytest.raises(IntegrityError):  # two taps racing past the handler's own check
        add("1", "draft")
    add("2", "rejected")
    add("2", "expired")
    add("2", "open")  # decided and lapsed requests do not count
    add("3", "draft")
    with db.session() as s:
        assert len(s.exec(select(JoinRequest)).all()) == 5
