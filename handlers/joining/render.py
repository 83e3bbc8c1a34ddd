"""What a network's coordinators read about join requests: one request described, the
summary of what came in (jobs/joining.py sends it at most every few minutes), and who gets it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing
from handlers.kit.labels import STANDING
from models import directory, roster
from models.core import Network
from models.enums import Role
from models.errors import N_
from models.joins import JoinRequest

REMINDER = N_(
    "⏳ Join request #{id} ({name}, {city}) to the network {network} still waits for your "
    "decision; it lapses on {when}: /przyjmij {id} {code} or /odrzuc {id} {code}."
)


def describe(t: Translator, s: Session, request: JoinRequest, network: Network) -> str:
    city = roster.city_by_name(s, request.city_name or "")
    standing = directory.standing_of(s, city.id, network.id) if city else None
    where = (
        t("already in the network as {standing}", standing=t(STANDING[standing]))
        if standing
        else t("not in the network yet: joins as a laureate (the network is closed)")
        if network.closed
        else t("not in the network yet: joins as an observer unless you say otherwise")
    )
    return t(
        "Join request #{id} for the network {network}:\n{name}, {position}\n{city} "
        "({where})\n{email}",
        id=request.id,
        network=network.name,
        name=request.name,
        position=request.position,
        city=request.city_name,
        where=where,
        email=request.email,
    )


def decide_buttons(t: Translator, request_id: int | None, code: str) -> tuple[Button, ...]:
    return (
        Button(t("Accept"), f"/przyjmij {request_id} {code}"),
        Button(t("Reject"), f"/odrzuc {request_id} {code}"),
    )


def deciders(s: Session, network: Network) -> list[list[int]]:
    """Who decides the network's requests, in the order they are tried: its coordinators,
    then (when none of them can be reached) the coordinating team."""
    staff = directory.members(s, network.id or 0)
    return [
        list(dict.fromkeys(person.id or 0 for person, role, _city in staff if role == wanted))
        for wanted in (Role.COORDINATOR, Role.COORDINATING_TEAM)
    ]


def summary(
    t: Translator,
    s: Session,
    network: Network,
    fresh: list[JoinRequest],
    lapsing: list[JoinRequest],
    waiting: int,
    now: datetime,
) -> Outgoing:
    """One message for everything since the last summary. A single new request is shown in
    full with its two buttons (as is a single one about to lapse); more are counted, and
    /zgloszenia lists them."""
    code = network.code
    if len(lapsing) == 1 and not fresh:
        request = lapsing[0]
        return Outgoing(
            t(
                REMINDER,
                id=request.id,
                name=request.name or "—",
                city=request.city_name or "—",
                network=network.name,
                when=t.datetime(request.expires_at or now),
                code=code,
            ),
            actions=decide_buttons(t, request.id, code),
        )
    lines = []
    if fresh:
        lines.append(
            t.tn(
                "📥 {network}: {n} new join request waits for your decision.",
                "📥 {network}: {n} new join requests wait for your decision.",
                len(fresh),
                network=network.name,
            )
        )
    if lapsing:
        lines.append(
            t.tn(
                "⏳ {network}: {n} join request lapses within 3 days without a decision.",
                "⏳ {network}: {n} join requests lapse within 3 days without a decision.",
                len(lapsing),
                network=network.name,
            )
        )
    if waiting > len(fresh):
        lines.append(
            t.tn(
                "In all, {n} request is waiting for a decision.",
                "In all, {n} requests are waiting for a decision.",
                waiting,
            )
        )
    actions: tuple[Button, ...] = ()
    if len(fresh) == 1 and not lapsing:
        request = fresh[0]
        lines += [
            "",
            describe(t, s, request, network),
            t(
                "Typed: /przyjmij {id} {code} [standing] or /odrzuc {id} {code} [reason]",
                id=request.id,
                code=code,
            ),
        ]
        actions = decide_buttons(t, request.id, code)
    lines.append(
        t("The list, with the commands to accept or reject: /zgloszenia {code}", code=code)
    )
    if not actions:
        actions = (Button(t("Waiting requests"), f"/zgloszenia {code}"),)
    return Outgoing("\n".join(lines), actions=actions)
