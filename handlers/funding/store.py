"""Turning call records into stored calls (deduplicated, with changes recorded), the default
theme profiles, and classifying stored calls against the profiles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.funding.match import Match, Matcher, Profile
from handlers.funding.parse import (
    CallRecord,
    canonical_link,
    effective_status,
    keep_precise,
    next_deadline,
    title_key,
)
from handlers.kit.limits import is_link
from models import directory
from models import funding as store
from models.funding import CallStatus, FundingCall, FundingProfile, MatchRow

WARSAW = ZoneInfo("Europe/Warsaw")  # the calls' deadlines are Polish office days

# Where the mapping is obvious; coordinators edit it with /profil_dodaj <net> program:CODE.
DEFAULT_PROFILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cyfrowe": (
        (
            "cyfryzacja",
            "cyfrowy",
            "e-usługi",
            "cyberbezpieczeństwo",
            "sztuczna inteligencja",
            "dane otwarte",
            "smart city",
            "digital",
            "digitalisation",
            "digitalization",
            "cybersecurity",
            "artificial intelligence",
            "e-government",
            "interoperability",
        ),
        ("DIGITAL",),
    ),
    "zasoby": (
        (
            "finanse",
            "finansowanie",
            "budżet",
            "inwestycje",
            "fundusze",
            "rozwój lokalny",
            "partnerstwo publiczno-prywatne",
            "municipal finance",
            "investment",
            "financing",
        ),
        ("EUI",),
    ),
    "obywatele": (
        (
            "partycypacja",
            "konsultacje społeczne",
            "budżet obywatelski",
            "społeczeństwo obywatelskie",
            "organizacje pozarządowe",
            "demokracja",
            "participation",
            "citizens",
            "civil society",
            "democracy",
        ),
        ("CERV",),
    ),
    "dostepne": (
        (
            "polityka społeczna",
            "senior",
            "senioralny",
            "niepełnosprawność",
            "dostępność",
            "wykluczenie",
            "włączenie społeczne",
            "opieka",
            "social inclusion",
            "accessibility",
            "elderly",
            "disability",
        ),
        ("ESF",),
    ),
    "przedsiebiorcze": (
        (
            "przedsiębiorczość",
            "przedsiębiorca",
            "MŚP",
            "turystyka",
            "gospodarka lokalna",
            "entrepreneurship",
            "SME",
            "tourism",
            "start-up",
        ),
        ("SMP",),
    ),
    "zielone": (
        (
            "klimat",
            "klimatyczny",
            "OZE",
            "energia odnawialna",
            "efektywność energetyczna",
            "środowisko",
            "adaptacja do zmian klimatu",
            "retencja",
            "zieleń",
            "climate",
            "renewable energy",
            "energy efficiency",
            "environment",
            "biodiversity",
            "circular economy",
        ),
        ("LIFE",),
    ),
    "kadry": (
        (
            "zasoby ludzkie",
            "kadry",
            "kompetencje",
            "szkolenia",
            "pracownicy",
            "human resources",
            "skills",
            "training",
            "workforce",
        ),
        (),
    ),
    "liderzy": (
        (
            "przywództwo",
            "lider",
            "zarządzanie strategiczne",
            "strategia rozwoju",
            "leadership",
            "governance",
        ),
        (),
    ),
}


def ensure_profiles(session: Session, now: datetime) -> list[FundingProfile]:
    """Every network has a profile; a new one starts from the defaults above. Two processes
    doing this at once both succeed (the insert skips a profile the other just added)."""
    have = {p.network_id: p for p in store.profiles(session)}
    missing = [n for n in directory.networks(session) if n.id not in have]
    if not missing:
        return list(have.values())
    for network in missing:
        keywords, programmes = DEFAULT_PROFILES.get(network.code, ((), ()))
        store.add_profile(session, network.id or 0, list(keywords), list(programmes), now)
    return list(store.profiles(session))


def matcher_profiles(rows: Iterable[FundingProfile]) -> list[Profile]:
    return [Profile.of(r.network_id, r.keywords, r.programmes) for r in rows]


def call_text(call: FundingCall) -> str:
    return " ".join([call.title, call.programme or "", " ".join(call.tags), call.summary])


def classify(
    calls: Iterable[FundingCall], profiles: Sequence[Profile]
) -> dict[int, list[tuple[FundingCall, Match]]]:
    """network id -> the calls that fit it, each with why."""
    out: dict[int, list[tuple[FundingCall, Match]]] = {p.network_id: [] for p in profiles}
    matcher = Matcher(profiles)
    for call in calls:
        for m in matcher.match(call_text(call), call.programme):
            out[m.network_id].append((call, m))
    return out


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


@dataclass
class IngestResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0


def ingest(
    session: Session, records: Iterable[CallRecord], now: datetime, created_by: int | None = None
) -> IngestResult:
    """Store records: new calls are added, known ones updated with their changes recorded."""
    result = IngestResult()
    same = store.SameCalls(session)
    added: list[FundingCall] = []
    for record in records:
        call, created = upsert(session, record, now, created_by, same)
        if created and call is not None:
            result.new += 1
            added.append(call)
        elif call is not None and _updated(session, call, record, now):
            result.changed += 1
        else:
            result.unchanged += 1
    session.flush()
    refresh_matches(session, [c.id for c in added if c.id is not None])
    return result


def _match_rows(texts: Iterable[store.CallText], profiles: Sequence[Profile]) -> list[MatchRow]:
    matcher = Matcher(profiles)
    rows: list[MatchRow] = []
    for c in texts:
        text = " ".join([c.title, c.programme or "", " ".join(c.tags), c.summary])
        for m in matcher.match(text, c.programme):
            rows.append((m.network_id, c.id, m.programme, list(m.keywords)))
    return rows


def refresh_matches(session: Session, call_ids: Sequence[int]) -> None:
    """Classify these calls (just stored or edited) against every network's profile."""
    if not call_ids:
        return
    profiles = matcher_profiles(store.profiles(session))
    for start in range(0, len(call_ids), 500):
        chunk = call_ids[start : start + 500]
        rows = _match_rows(store.call_texts(session, chunk), profiles)
        store.replace_matches(session, rows, calls=chunk)


def ensure_matches(session: Session, network_id: int, now: datetime) -> None:
    """Classify every call against the network's profile when the profile changed since (or
    was never used): afterwards the network's matches are read, not computed."""
    profile = store.profile_of(session, network_id)
    if profile is None or profile.matched_at is not None:
        return
    rows = _match_rows(store.call_texts(session), matcher_profiles([profile]))
    store.replace_matches(session, rows, network_id=network_id)
    store.mark_matched(session, network_id, now)
    session.expire(profile, ["matched_at"])


def upsert(
    session: Session,
    record: CallRecord,
    now: datetime,
    created_by: int | None,
    same: store.SameCalls | None = None,
) -> tuple[FundingCall | None, bool]:
    """Find the stored call the record duplicates, or add it. With `same` (a batch), the
    lookup is in memory and the new call is flushed only when its id is needed."""
    link_key = canonical_link(record.link)
    days = {d.isoformat()[:10] for d in record.deadlines}
    key = title_key(record.title)
    found = (
        store.find_same(session, record.identifier, link_key, key, days)
        if same is None
        else same.find(record.identifier, link_key, key, days)
    )
    if found is not None:
        return found, False
    call = FundingCall(
        source=record.source,
        identifier=record.identifier,
        link=record.link if record.link and is_link(record.link[:500]) else None,
        link_key=link_key,
        title=record.title[:300],
        title_key=key,
        programme=record.programme[:120] if record.programme else None,
        status=effective_status(record.status, record.deadlines, now),
        opens_at=record.opens_at,
        deadlines=[d.isoformat() for d in record.deadlines],
        budget=record.budget,
        currency=record.currency,
        tags=list(record.tags)[:40],
        summary=record.summary,
        first_seen_at=now,
        updated_at=now,
        created_by=created_by,
    )
    session.add(call)
    if same is None:
        session.flush()
        refresh_matches(session, [call.id or 0])
    else:
        same.add(call)
    return call, True


def _updated(session: Session, call: FundingCall, record: CallRecord, now: datetime) -> bool:
    """Apply what a source says now; a moved deadline or new budget becomes a change."""
    changed = False
    if call.id is None:  # added earlier in the same batch, not flushed yet
        session.flush()
    call_id = call.id or 0
    precise = keep_precise(record.deadlines, call.deadline_list, WARSAW)
    new_deadlines = [d.isoformat() for d in precise]
    if new_deadlines and sorted(new_deadlines) != sorted(call.deadlines):
        old_next = next_deadline(call.deadline_list, now)
        new_next = next_deadline(precise, now)
        store.add_change(session, call_id, now, "deadline", _iso(old_next), _iso(new_next))
        call.deadlines, changed = sorted(new_deadlines), True
    if record.budget is not None and record.budget != call.budget:
        if call.budget is not None:
            store.add_change(session, call_id, now, "budget", str(call.budget), str(record.budget))
        call.budget, call.currency, changed = record.budget, record.currency, True
    status = effective_status(record.status, record.deadlines or call.deadline_list, now)
    if call.source == record.source and status != call.status:
        store.add_change(session, call_id, now, "status", call.status, status)
        call.status, changed = status, True
    if changed:
        call.updated_at = now
        session.add(call)
    return changed


def is_open(call: FundingCall | store.CallRow, now: datetime) -> bool:
    """Listed in digests: not withdrawn, not closed, and not past all its deadlines."""
    if call.withdrawn_at is not None:
        return False
    return effective_status(call.status, call.deadline_list, now) != CallStatus.CLOSED
