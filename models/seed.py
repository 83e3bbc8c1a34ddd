"""The 8 EMPIRIE networks (always) and a small demo cast (first run of the console bot)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from models import directory
from models.core import Account, ChatBinding, City, CityStanding, Network, Person
from models.enums import Office, Platform, Role, Standing

NETWORKS: tuple[tuple[str, str, str, bool], ...] = (
    ("cyfrowe", "MIASTO CYFROWE", "Cyfryzacja", False),
    ("zasoby", "ZASOBY MIAST", "Finanse samorządowe / fundusze na rozwój", False),
    ("obywatele", "MIASTO OBYWATELI", "Partycypacja / konsultacje / współpraca", False),
    ("dostepne", "MIASTO DOSTĘPNE I SPRAWIEDLIWE", "Polityka społeczna / senioralna", False),
    ("przedsiebiorcze", "MIASTO PRZEDSIĘBIORCZE", "Przedsiębiorczość lokalna / turystyka", False),
    ("zielone", "MIASTO NEUTRALNE KLIMATYCZNIE / ZIELONE", "Środowisko, OZE (klimat)", False),
    ("kadry", "ZASOBY KADROWE / LUDZKIE W MIASTACH", "Zarządzanie zasobami ludzkimi", False),
    ("liderzy", "LEADERSHIP = PRZYWÓDZTWO, WIZJA I ODPOWIEDZIALNOŚĆ", "Sieć dla liderów", True),
)

CITIES: tuple[tuple[str, str], ...] = (
    ("Łomża", "podlaskie"),
    ("Świdnik", "lubelskie"),
    ("Żyrardów", "mazowieckie"),
    ("Gniezno", "wielkopolskie"),
    ("Kłodzko", "dolnośląskie"),
    ("Ełk", "warmińsko-mazurskie"),
    ("Sanok", "podkarpackie"),
    ("Chełm", "lubelskie"),
    ("Nowa Sól", "lubuskie"),
    ("Bochnia", "małopolskie"),
    ("Starogard Gdański", "pomorskie"),
    ("Kutno", "łódzkie"),
)

_FIRST = (
    "Anna",
    "Piotr",
    "Katarzyna",
    "Tomasz",
    "Magdalena",
    "Paweł",
    "Agnieszka",
    "Michał",
    "Joanna",
    "Krzysztof",
    "Małgorzata",
    "Łukasz",
    "Ewa",
    "Grzegorz",
    "Zofia",
    "Jakub",
)
_LAST = (
    ("Nowak", "Nowak"),
    ("Wiśniewski", "Wiśniewska"),
    ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"),
    ("Kamiński", "Kamińska"),
    ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"),
    ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"),
    ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"),
    ("Mazur", "Mazur"),
    ("Krawczyk", "Krawczyk"),
)
# Standing of the i-th city (rotating over CITIES) in each thematic network.
_STANDINGS = (
    Standing.LAUREATE,
    Standing.LAUREATE,
    Standing.FINALIST,
    Standing.CHANGE_LEADER,
    Standing.OBSERVER,
)


def ensure_networks(session: Session) -> list[Network]:
    existing = {n.code for n in session.exec(select(Network)).all()}
    for code, name, theme, closed in NETWORKS:
        if code not in existing:
            session.add(Network(code=code, name=name, theme=theme, closed=closed))
    session.flush()
    return list(directory.networks(session))


class _Names:
    def __init__(self) -> None:
        self.i = 0

    def next(self) -> str:
        first = _FIRST[self.i % len(_FIRST)]
        male, female = _LAST[(self.i * 5) % len(_LAST)]
        name = f"{first} {female if first.endswith('a') else male}"
        self.i += 1
        return name


def has_people(session: Session) -> bool:
    return session.exec(select(Person)).first() is not None


def seed_demo(session: Session, now: datetime) -> bool:
    """Load the demo cast once; returns False when people already exist."""
    networks = ensure_networks(session)
    if has_people(session):
        return False
    cities = []
    for name, voivodeship in CITIES:
        city = City(name=name, voivodeship=voivodeship)
        session.add(city)
        cities.append(city)
    session.flush()
    names = _Names()

    def person(city: City | None, position: str, office: Office = Office.OFFICIAL) -> Person:
        p = Person(
            name=names.next(),
            city_id=city.id if city else None,
            position=position,
            office=office,
            created_at=now,
        )
        session.add(p)
        session.flush()
        session.add(
            Account(
                person_id=p.id or 0, platform=Platform.CONSOLE, external_id=str(p.id), linked_at=now
            )
        )
        return p

    team = person(None, "Zespół koordynujący ZH-16")
    directory.grant_role(session, team, None, Role.COORDINATING_TEAM, None, now)
    organiser = person(None, "Opiekun organizacyjny, biuro ZMP")
    for n, network in enumerate(networks):
        session.add(
            ChatBinding(
                network_id=network.id or 0,
                platform=Platform.CONSOLE,
                chat_id=network.code,
                title=network.name,
                bound_at=now,
            )
        )
        for role, position in (
            (Role.COORDINATOR, "Koordynator-facylitator"),
            (Role.EXPERT, "Ekspert-moderator"),
        ):
            directory.grant_role(session, person(None, position), network, role, None, now)
        directory.grant_role(session, organiser, network, Role.ORGANISER, None, now)
        for k, standing in enumerate(_STANDINGS):
            city = cities[(n * 3 + k) % len(cities)]
            session.add(
                CityStanding(
                    network_id=network.id or 0,
                    city_id=city.id or 0,
                    standing=standing if not network.closed else Standing.LAUREATE,
                )
            )
            if network.closed:
                office, position = (
                    (Office.MAYOR, f"Burmistrz Miasta {city.name}")
                    if k % 2
                    else (Office.CITY_PRESIDENT, f"Prezydent Miasta {city.name}")
                )
                reps = [(position, office)]
            else:
                reps = [("Naczelnik wydziału", Office.OFFICIAL), ("Specjalista", Office.OFFICIAL)]
                reps = reps[: 1 if standing is Standing.OBSERVER else 2]
            for position, office in reps:
                directory.grant_role(
                    session, person(city, position, office), network, Role.REPRESENTATIVE, None, now
                )
    return True
