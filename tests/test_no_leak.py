"""A number in the leaders' network (closed) answers an outsider exactly as a number that does
not exist: office-hours sessions and series, and join requests, cannot be probed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.clock import FrozenClock
from models import directory
from models.db import Database
from models.joins import JoinRequest, JoinStatus
from tests.cast import find_cast
from tests.conftest import Chat

MISSING = 987


def _leaders_expert(db: Database) -> int:
    with db.session() as s:
        leaders = directory.require_network(s, "liderzy")
        [expert] = [
            p.id or 0 for p, role, _c in directory.members(s, leaders.id or 0) if role == "expert"
        ]
    return expert


async def _same(chat: Chat, who: int, command: str, real: int, *rest: str) -> str:
    tail = " ".join(rest)
    seen = await chat.text(who, f"/{command} {real} {tail}".strip())
    fake = await chat.text(who, f"/{command} {MISSING} {tail}".strip())
    assert seen == fake.replace(str(MISSING), str(real)), (command, who, seen, fake)
    return seen


async def test_office_hours_of_the_leaders_answer_outsiders_like_missing_numbers(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    expert = _leaders_expert(seeded)
    text = await chat.text(expert, "/dyzur_seria liderzy; 2.12.2026 9:00")
    [series] = re.findall(r"Cykl dyżurów nr (\d+)", text)
    [session] = re.findall(r"#(\d+) 02\.12", text)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC) - timedelta(days=1))
    # the leaders' own members see it (the objects exist and work)
    assert "Zarezerwowano" in await chat.text(cast.mayor, f"/dyzur_rezerwuj {session} - wizja")
    assert "wizja" in await chat.text(expert, f"/dyzur_agenda {session}")
    staff = (cast.coordinator, cast.expert, cast.other_coordinator)
    reps = (cast.laureate_rep, cast.observer_rep)
    for who in staff:
        for command in (
            "dyzur_agenda",
            "nastepny",
            "dyzur_odwolaj_termin",
            "dyzur_pomin",
            "dyzur_podsumowanie",
        ):
            await _same(chat, who, command, int(session))
        await _same(chat, who, "dyzur_przesun", int(session), "3.12.2026 9:00")
        for command in ("dyzur_zrobione", "dyzur_nieobecny", "dyzur_zwolnij"):
            await _same(chat, who, command, int(session), "1")
        answer = await _same(chat, who, "dyzur_seria_koniec", int(series), "1.06.2027")
        assert "LEADERSHIP" not in answer and "liderów" not in answer, answer
        await _same(chat, who, "dyzur_seria_zmien", int(series), "1.02.2027 godzina 12:00")
    for who in reps:
        for rest in (("1", "pytanie"), ("-", "pytanie")):
            answer = await _same(chat, who, "dyzur_rezerwuj", int(session), *rest)
            assert "Nie masz uprawnień" not in answer, answer
        await _same(chat, who, "dyzur_wybierz", int(session), "1")
        for command in ("dyzur_odwolaj", "dyzur_przyjmij", "dyzur_odrzuc"):
            await _same(chat, who, command, int(session))


async def test_join_requests_for_the_leaders_answer_outsiders_like_missing_numbers(
    chat: Chat, seeded: Database, clock: FrozenClock
) -> None:
    cast = find_cast(seeded)
    now = clock.now()
    ids = []
    with seeded.session() as s:
        for n, status in enumerate((JoinStatus.OPEN, JoinStatus.ACCEPTED)):
            row = JoinRequest(
                platform="console",
                external_id=f"asker{n}",
                status=status,
                city_name="Tajne Miasto",
                name="Jan Tajny",
                position="burmistrz",
                office="mayor",
                email="jan@example.org",
                networks=["liderzy"],
                created_at=now,
                submitted_at=now,
                expires_at=now + timedelta(days=14),
            )
            s.add(row)
            s.flush()
            ids.append(row.id or 0)
    for number in ids:
        for who in (cast.coordinator, cast.other_coordinator):
            for command, rest in (("przyjmij", ""), ("przyjmij", "liderzy"), ("odrzuc", "")):
                answer = await _same(chat, who, command, number, rest)
                assert "Nie ma" in answer or "nie ma" in answer, answer
    # the leaders' network's own staff still see the open request
    answer = await chat.text(cast.team, f"/odrzuc {ids[0]} liderzy")
    assert str(ids[0]) in answer and "Nie ma zgłoszenia" not in answer, answer
