"""Funding calls in chat: the list for a network, one call's details, manual entry, CSV import,
edit and withdraw; theme profiles; follow and hide; the feeds we poll."""

from __future__ import annotations

import math
from datetime import datetime

from sqlmodel import Session

from core.messages import Action as Button
from core.messages import Outgoing
from handlers.funding.digest import days_left, matching_calls
from handlers.funding.match import fold
from handlers.funding.parse import CallRecord, canonical_link, next_deadline, read_csv, title_key
from handlers.funding.store import ensure_profiles, ingest
from handlers.kit.context import Context
from handlers.kit.dates import parse_when
from handlers.kit.limits import parse_id
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.membership import private_target
from models import audit, directory
from models import funding as store
from models.core import Network
from models.errors import N_, DomainError
from models.funding import FundingCall, FundingFeed, FundingFollow, FundingMute

ADD_USAGE = N_(
    "<title>; <funder or programme>; <link>; <deadline>; <amount>; <tags, comma separated>"
)


def _personal(ctx: Context, messages: list[Outgoing]) -> list[Outgoing]:
    """Lists and confirmations go to the person's private chat, not to the group."""
    if ctx.private or ctx.person is None:
        return messages
    target = private_target(ctx, ctx.person)
    if target is None:
        return [Outgoing(ctx.t("Write to me privately and repeat the command there."))]
    return [
        Outgoing(m.text, actions=m.actions, files=m.files, to=target, markdown=m.markdown)
        for m in messages
    ]


def _clean(text: str) -> str:
    """PostgreSQL refuses NUL in text; nobody means one."""
    return text.replace("\x00", "").strip()


def _load(s: Session, args: str) -> FundingCall:
    word = args.split()[0] if args.split() else ""
    number = parse_id(word)
    call = s.get(FundingCall, number) if number is not None else None
    if call is None:
        raise DomainError(
            N_("There is no funding call with the number “{id}”. /konkursy lists them."), id=word
        )
    return call


def _manager_networks(ctx: Context) -> list[Network]:
    with ctx.db.session() as s:
        nets = list(directory.networks(s))
    return [n for n in nets if ctx.can(Action.MANAGE_FUNDING, n)]


def _require_manager(ctx: Context) -> None:
    ctx.require_person()
    if not _manager_networks(ctx):
        raise DomainError(N_("Only coordinators and experts manage funding calls."))


def parse_deadline(text: str, now: datetime, ctx: Context) -> datetime:
    """`30.04.2027` (end of that day) or `30.04.2027 12:00`."""
    try:
        return parse_when(text, now, ctx.settings.tz)
    except DomainError:
        return parse_when(f"{text.strip()} 23:59", now, ctx.settings.tz)


def parse_amount(text: str) -> float | None:
    cleaned = (
        fold(text)
        .replace("pln", "")
        .replace("zl", "")
        .replace("eur", "")
        .replace("\u00a0", "")
        .replace(" ", "")
        .replace(",", ".")
    )
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError as error:
        raise DomainError(N_("The amount “{text}” is not a number."), text=text) from error
    if not math.isfinite(value) or value > 1e13:
        raise DomainError(N_("The amount “{text}” is not a number."), text=text)
    if value < 0:
        raise DomainError(N_("The amount cannot be negative."))
    return value


def _record(ctx: Context, source: str, parts: list[str]) -> CallRecord:
    parts += [""] * (6 - len(parts))
    title, funder, link, deadline, amount, tags = (_clean(p) for p in parts[:6])
    if not title:
        raise DomainError(N_("A funding call needs at least a title."))
    if link and not link.startswith(("http://", "https://")):
        raise DomainError(N_("The link must start with http:// or https://."))
    when = parse_deadline(deadline, ctx.now, ctx) if deadline else None
    return CallRecord(
        source=source,
        title=title[:300],
        link=link or None,
        programme=funder or None,
        deadlines=(when,) if when else (),
        budget=parse_amount(amount) if amount else None,
        currency="PLN" if amount else None,
        tags=tuple(t.strip() for t in tags.split(",") if t.strip()),
    )


def describe(ctx: Context, call: FundingCall) -> str:
    t = ctx.t
    deadline = next_deadline(call.deadline_list, ctx.now)
    lines = [f"#{call.id} {call.title}"]
    if call.programme:
        lines.append(t("Programme or funder: {name}", name=call.programme))
    if call.identifier:
        lines.append(t("Identifier: {id}", id=call.identifier))
    if deadline:
        lines.append(
            t(
                "Next deadline: {when} ({days} days left)",
                when=t.datetime(deadline),
                days=days_left(deadline, ctx.now, t),
            )
        )
    elif call.deadline_list:
        lines.append(t("All deadlines have passed."))
    if len(call.deadline_list) > 1:
        lines.append(
            t(
                "All deadlines: {dates}",
                dates=", ".join(t.local(d).strftime("%d.%m.%Y") for d in call.deadline_list),
            )
        )
    if call.opens_at:
        lines.append(t("Opens: {date}", date=t.local(call.opens_at).strftime("%d.%m.%Y")))
    if call.budget is not None:
        lines.append(
            t(
                "Budget: {amount} {currency}",
                amount=t.number(round(call.budget)),
                currency=call.currency or "",
            )
        )
    if call.link:
        lines.append(call.link)
    if call.withdrawn_at:
        lines.append(t("Withdrawn."))
    return "\n".join(lines)


@REGISTRY.command(
    "konkursy",
    "calls",
    summary=N_("open funding calls for a network"),
    usage=N_("[network]"),
    action=Action.READ,
)
async def list_calls(ctx: Context, args: str) -> list[Outgoing]:
    network = ctx.target_network(args.strip() or None)
    ctx.require(Action.READ, network)
    t = ctx.t
    with ctx.db.session() as s:
        found = matching_calls(s, network.id or 0, ctx.now)
    found.sort(
        key=lambda cm: (
            next_deadline(cm[0].deadline_list, ctx.now) is None,
            next_deadline(cm[0].deadline_list, ctx.now) or ctx.now,
        )
    )
    if not found:
        return _personal(
            ctx,
            [
                Outgoing(
                    t(
                        "No open funding calls match the network {network} now.",
                        network=network.name,
                    )
                )
            ],
        )
    lines = [
        t("Open funding calls for {network} ({count}):", network=network.name, count=len(found))
    ]
    for call, why in found[:30]:
        deadline = next_deadline(call.deadline_list, ctx.now)
        when = t.local(deadline).strftime("%d.%m.%Y") if deadline else "—"
        reasons = ", ".join([*why.keywords[:3], *([why.programme] if why.programme else [])])
        lines.append(f"#{call.id} {call.title} · {when} · {reasons}")
    if len(found) > 30:
        lines.append(t("…and {count} more.", count=len(found) - 30))
    lines.append(t("Details: /konkurs <nr>"))
    return _personal(ctx, [Outgoing("\n".join(lines))])


@REGISTRY.command(
    "konkurs", "call", summary=N_("details of a funding call"), usage=N_("<nr>"), action=Action.READ
)
async def show(ctx: Context, args: str) -> list[Outgoing]:
    with ctx.db.session() as s:
        call = _load(s, args)
    return _personal(
        ctx,
        [Outgoing(describe(ctx, call), actions=(Button(ctx.t("Follow"), f"/obserwuj {call.id}"),))],
    )


@REGISTRY.command(
    "konkurs_dodaj",
    "call_add",
    summary=N_("add a funding call by hand"),
    usage=ADD_USAGE,
    action=Action.MANAGE_FUNDING,
)
async def add(ctx: Context, args: str) -> list[Outgoing]:
    _require_manager(ctx)
    if not args.strip():
        raise DomainError(
            N_(
                "Give: title; funder; link; deadline; amount; tags. For example: "
                "/konkurs_dodaj Cyfrowa gmina; CPPC; https://…; 30.04.2027; "
                "500000; cyfryzacja, e-usługi"
            )
        )
    record = _record(ctx, "manual", args.split(";"))
    me = ctx.require_person()
    with ctx.db.session() as s:
        days = {d.isoformat()[:10] for d in record.deadlines}
        existing = store.find_same(
            s, None, canonical_link(record.link), title_key(record.title), days
        )
        if existing is not None:
            raise DomainError(
                N_("This call is already known as #{id}. Change it with /konkurs_zmien {id}."),
                id=existing.id,
            )
        ingest(s, [record], ctx.now, created_by=me.id)
        call = store.find_same(s, None, canonical_link(record.link), title_key(record.title), days)
        assert call is not None
        audit.record(s, ctx.now, me.id, "funding.add", f"call:{call.id}")
    return _personal(
        ctx,
        [
            Outgoing(
                ctx.t(
                    "Added funding call #{id}. It will appear in the "
                    "digests of the networks it fits.",
                    id=call.id,
                )
                + "\n\n"
                + describe(ctx, call)
            )
        ],
    )


EDIT_FIELDS = {
    "tytul": "title",
    "title": "title",
    "termin": "deadline",
    "deadline": "deadline",
    "kwota": "budget",
    "amount": "budget",
    "link": "link",
    "tagi": "tags",
    "tags": "tags",
    "grantodawca": "programme",
    "funder": "programme",
    "program": "programme",
}


@REGISTRY.command(
    "konkurs_zmien",
    "call_edit",
    summary=N_("change a funding call"),
    usage=N_("<nr> termin|kwota|tytul|link|tagi|grantodawca <value>"),
    action=Action.MANAGE_FUNDING,
)
async def edit(ctx: Context, args: str) -> list[Outgoing]:
    _require_manager(ctx)
    me = ctx.require_person()
    words = args.split(maxsplit=2)
    if len(words) < 3 or fold(words[1]) not in EDIT_FIELDS:
        raise DomainError(
            N_(
                "Write e.g. /konkurs_zmien 12 termin 30.05.2027 (fields: termin, "
                "kwota, tytul, link, tagi, grantodawca)."
            )
        )
    what, value = EDIT_FIELDS[fold(words[1])], _clean(words[2])
    with ctx.db.session() as s:
        call = _load(s, args)
        if what == "deadline":
            new = parse_deadline(value, ctx.now, ctx)
            old = next_deadline(call.deadline_list, ctx.now)
            store.add_change(
                s,
                call.id or 0,
                ctx.now,
                "deadline",
                old.isoformat() if old else None,
                new.isoformat(),
            )
            call.deadlines = [new.isoformat()]
        elif what == "budget":
            amount = parse_amount(value)
            store.add_change(
                s,
                call.id or 0,
                ctx.now,
                "budget",
                None if call.budget is None else str(call.budget),
                str(amount),
            )
            call.budget, call.currency = amount, call.currency or "PLN"
        elif what == "title":
            call.title, call.title_key = value[:300], title_key(value)
        elif what == "link":
            if not value.startswith(("http://", "https://")):
                raise DomainError(N_("The link must start with http:// or https://."))
            call.link, call.link_key = value, canonical_link(value)
        elif what == "tags":
            call.tags = [t.strip() for t in value.split(",") if t.strip()]
        else:
            call.programme = value[:120]
        call.updated_at = ctx.now
        s.add(call)
        audit.record(s, ctx.now, me.id, "funding.edit", f"call:{call.id}", field=what)
    return _personal(ctx, [Outgoing(ctx.t("Saved.") + "\n\n" + describe(ctx, call))])


@REGISTRY.command(
    "konkurs_wycofaj",
    "call_withdraw",
    summary=N_("withdraw a funding call"),
    usage=N_("<nr>"),
    action=Action.MANAGE_FUNDING,
)
async def withdraw(ctx: Context, args: str) -> list[Outgoing]:
    _require_manager(ctx)
    me = ctx.require_person()
    with ctx.db.session() as s:
        call = _load(s, args)
        call.withdrawn_at = call.withdrawn_at or ctx.now
        s.add(call)
        audit.record(s, ctx.now, me.id, "funding.withdraw", f"call:{call.id}")
    return _personal(
        ctx,
        [
            Outgoing(
                ctx.t(
                    "Funding call #{id} is withdrawn: it will not appear in digests any more.",
                    id=call.id,
                )
            )
        ],
    )


@REGISTRY.command(
    "konkursy_import",
    "calls_import",
    summary=N_("import funding calls from a CSV file"),
    usage=N_("(attach a CSV: tytul;grantodawca;link;termin;kwota;tagi)"),
    action=Action.MANAGE_FUNDING,
)
async def import_csv(ctx: Context, args: str) -> list[Outgoing]:
    _require_manager(ctx)
    me = ctx.require_person()
    content = ctx.incoming.files[0].content if ctx.incoming.files else args.strip().encode("utf-8")
    if not content.strip():
        raise DomainError(
            N_(
                "Attach a CSV file with the columns tytul;grantodawca;link;termin;"
                "kwota;tagi (or paste its lines after the command)."
            )
        )
    try:
        rows = read_csv(content)
    except ValueError as error:
        raise DomainError(N_("This file is not a CSV table I can read.")) from error
    records, problems = [], []
    for row in rows:
        v = row.values
        try:
            records.append(
                _record(
                    ctx,
                    "csv",
                    [
                        v.get("tytul", ""),
                        v.get("grantodawca", ""),
                        v.get("link", ""),
                        v.get("termin", ""),
                        v.get("kwota", ""),
                        v.get("tagi", ""),
                    ],
                )
            )
        except DomainError as error:
            problems.append(
                ctx.t("line {line}: {why}", line=row.line, why=ctx.t(error.msgid, **error.params))
            )
    with ctx.db.session() as s:
        result = ingest(s, records, ctx.now, created_by=me.id)
        audit.record(
            s, ctx.now, me.id, "funding.import", "csv", new=result.new, changed=result.changed
        )
    text = ctx.t(
        "Import: {new} new, {changed} updated, {same} already known, {bad} rejected.",
        new=result.new,
        changed=result.changed,
        same=result.unchanged,
        bad=len(problems),
    )
    if problems:
        text += "\n" + "\n".join(problems[:20])
    return _personal(ctx, [Outgoing(text)])


# --- profiles ------------------------------------------------------------------------------------


def _profile_args(ctx: Context, args: str) -> tuple[Network, str]:
    words = args.split(maxsplit=1)
    with ctx.db.session() as s:
        if words and directory.network_by_code(s, words[0]) is not None:
            return directory.require_network(s, words[0]), (words[1] if len(words) > 1 else "")
    return ctx.target_network(None), args


def _show_profile(ctx: Context, network: Network) -> str:
    with ctx.db.session() as s:
        ensure_profiles(s, ctx.now)
        profile = store.profile_of(s, network.id or 0)
    assert profile is not None
    return "\n".join(
        [
            ctx.t("Funding profile of {network}:", network=network.name),
            ctx.t("Keywords: {words}", words=", ".join(profile.keywords) or "—"),
            ctx.t("Programmes: {codes}", codes=", ".join(profile.programmes) or "—"),
            ctx.t(
                "Change it: /profil_dodaj {code} <word> | program:<CODE>; /profil_usun {code} "
                "<word>",
                code=network.code,
            ),
        ]
    )


@REGISTRY.command(
    "profil",
    "profile",
    summary=N_("a network's funding theme profile"),
    usage=N_("[network]"),
    action=Action.READ,
)
async def profile(ctx: Context, args: str) -> list[Outgoing]:
    network, _rest = _profile_args(ctx, args)
    ctx.require(Action.READ, network)
    return _personal(ctx, [Outgoing(_show_profile(ctx, network))])


def _edit_profile(ctx: Context, args: str, adding: bool) -> list[Outgoing]:
    network, rest = _profile_args(ctx, args)
    ctx.require(Action.MANAGE_FUNDING, network)
    me = ctx.require_person()
    items = [_clean(w)[:100] for w in rest.split(",") if _clean(w)]
    if not items:
        raise DomainError(
            N_(
                "Give the words (comma separated) or program:<CODE>, e.g. "
                "/profil_dodaj zielone retencja, program:LIFE"
            )
        )
    with ctx.db.session() as s:
        ensure_profiles(s, ctx.now)
        row = store.profile_of(s, network.id or 0)
        assert row is not None
        keywords, programmes = list(row.keywords), list(row.programmes)
        for item in items:
            if fold(item).startswith("program:"):
                code = item.split(":", 1)[1].strip().upper()
                target, value = programmes, code
            else:
                target, value = keywords, item
            present = [x for x in target if fold(x) == fold(value)]
            if adding and not present and value:
                target.append(value)
            if not adding:
                if not present:
                    raise DomainError(N_("“{word}” is not in the profile."), word=item)
                target.remove(present[0])
        row.keywords, row.programmes, row.updated_at = keywords, programmes, ctx.now
        s.add(row)
        audit.record(
            s, ctx.now, me.id, "funding.profile", f"network:{network.id}", added=adding, items=items
        )
    return _personal(ctx, [Outgoing(ctx.t("Saved.") + "\n" + _show_profile(ctx, network))])


@REGISTRY.command(
    "profil_dodaj",
    "profile_add",
    summary=N_("add words or programmes to a network's profile"),
    usage=N_("[network] <word>, <word>, program:<CODE>"),
    action=Action.MANAGE_FUNDING,
)
async def profile_add(ctx: Context, args: str) -> list[Outgoing]:
    return _edit_profile(ctx, args, adding=True)


@REGISTRY.command(
    "profil_usun",
    "profile_remove",
    summary=N_("remove words or programmes from a network's profile"),
    usage=N_("[network] <word>, program:<CODE>"),
    action=Action.MANAGE_FUNDING,
)
async def profile_remove(ctx: Context, args: str) -> list[Outgoing]:
    return _edit_profile(ctx, args, adding=False)


# --- follow and hide -----------------------------------------------------------------------------


@REGISTRY.command(
    "obserwuj",
    "follow",
    summary=N_("reminders 7 and 1 days before a call's deadline"),
    usage=N_("<nr>"),
    action=Action.READ,
)
async def follow(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        call = _load(s, args)
        mine = store.find_follow(s, me.id or 0, call.id or 0)
        if mine is None:
            s.add(FundingFollow(person_id=me.id or 0, call_id=call.id or 0, at=ctx.now))
    deadline = next_deadline(call.deadline_list, ctx.now)
    text = ctx.t(
        "You follow #{id} “{title}”: I will remind you 7 days and 1 day before the deadline.",
        id=call.id,
        title=call.title,
    )
    if deadline is None:
        text += " " + ctx.t("It has no upcoming deadline now.")
    return _personal(
        ctx,
        [Outgoing(text, actions=(Button(ctx.t("Stop following"), f"/nie_obserwuj {call.id}"),))],
    )


@REGISTRY.command(
    "nie_obserwuj",
    "unfollow",
    summary=N_("stop following a call"),
    usage=N_("<nr>"),
    action=Action.READ,
)
async def unfollow(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        call = _load(s, args)
        mine = store.find_follow(s, me.id or 0, call.id or 0)
        if mine is not None:
            s.delete(mine)
    return _personal(ctx, [Outgoing(ctx.t("You no longer follow #{id}.", id=call.id))])


@REGISTRY.command(
    "ukryj",
    "hide",
    summary=N_("hide a call from a network's digests"),
    usage=N_("<nr> [network]"),
    action=Action.READ,
)
async def hide(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    words = args.split()
    network = ctx.target_network(words[1] if len(words) > 1 else None)
    if not ctx.actor(network).roles:
        raise DomainError(
            N_("Only members of the network {network} can hide calls for it."), network=network.name
        )
    with ctx.db.session() as s:
        call = _load(s, args)
        if call.id not in store.muted(s, network.id or 0):
            s.add(
                FundingMute(
                    network_id=network.id or 0, call_id=call.id or 0, muted_by=me.id, at=ctx.now
                )
            )
        audit.record(s, ctx.now, me.id, "funding.mute", f"call:{call.id}", network=network.code)
    return [
        Outgoing(
            ctx.t(
                "#{id} will not appear in the digests of {network} any more.",
                id=call.id,
                network=network.name,
            )
        )
    ]


# --- feeds ---------------------------------------------------------------------------------------


@REGISTRY.command(
    "zrodlo_dodaj",
    "source_add",
    summary=N_("poll an RSS/Atom feed for calls"),
    usage=N_("<feed address> [network] [funder name]"),
    action=Action.MANAGE_FUNDING,
)
async def feed_add(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    words = _clean(args).split(maxsplit=2)
    if not words or not words[0].startswith(("http://", "https://")) or len(words[0]) > 500:
        raise DomainError(
            N_(
                "Give the feed's address, e.g. /zrodlo_dodaj "
                "https://www.nfosigw.gov.pl/rss zielone NFOŚiGW"
            )
        )
    network = ctx.target_network(words[1] if len(words) > 1 else None)
    ctx.require(Action.MANAGE_FUNDING, network)
    with ctx.db.session() as s:
        if store.feed_by_url(s, words[0]) is not None:
            raise DomainError(N_("This feed is already polled."))
        feed = FundingFeed(
            url=words[0][:500],
            network_id=network.id,
            added_by=me.id,
            added_at=ctx.now,
            funder=(words[2][:120] if len(words) > 2 else None),
        )
        s.add(feed)
        s.flush()
        audit.record(s, ctx.now, me.id, "funding.feed_add", f"feed:{feed.id}")
    return _personal(
        ctx,
        [
            Outgoing(
                ctx.t(
                    "Feed #{id} added. I will read it a few times a day "
                    "and tell you if it breaks or goes silent.",
                    id=feed.id,
                )
            )
        ],
    )


@REGISTRY.command(
    "zrodla", "sources", summary=N_("the feeds polled for calls"), action=Action.MANAGE_FUNDING
)
async def feeds(ctx: Context, args: str) -> list[Outgoing]:
    _require_manager(ctx)
    t = ctx.t
    with ctx.db.session() as s:
        rows = store.feeds(s)
    if not rows:
        return _personal(ctx, [Outgoing(t("No feeds yet. Add one: /zrodlo_dodaj <address>"))])
    lines = []
    for f in rows:
        state = (
            t("problem: {why}", why=f.problem)
            if f.problem
            else (
                t("read {when}", when=t.short_datetime(f.ok_at)) if f.ok_at else t("not read yet")
            )
        )
        lines.append(f"#{f.id} {f.title or f.url} · {state}")
    return _personal(ctx, [Outgoing("\n".join(lines))])


@REGISTRY.command(
    "zrodlo_usun",
    "source_remove",
    summary=N_("stop polling a feed"),
    usage=N_("<nr>"),
    action=Action.MANAGE_FUNDING,
)
async def feed_remove(ctx: Context, args: str) -> list[Outgoing]:
    _require_manager(ctx)
    word = args.strip()
    number = parse_id(word)
    with ctx.db.session() as s:
        feed = s.get(FundingFeed, number) if number is not None else None
        if feed is None:
            raise DomainError(N_("There is no feed with the number “{id}”."), id=word)
        feed.active = False
        s.add(feed)
    return _personal(ctx, [Outgoing(ctx.t("Feed #{id} will not be read any more.", id=feed.id))])
