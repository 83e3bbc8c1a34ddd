"""Funding calls in chat: the list for a network, one call's details, manual entry, CSV import,
edit and withdraw."""

from __future__ import annotations

from datetime import datetime

from core.messages import Action as Button
from core.messages import Outgoing
from handlers.funding.args import Amount, EditedField, Link, check_link, clean, parse_amount
from handlers.funding.digest import matching_calls
from handlers.funding.parse import CallRecord, canonical_link, next_deadline, read_csv, title_key
from handlers.funding.render import describe
from handlers.funding.store import ingest, refresh_matches, upsert
from handlers.kit.args import Code, Fields, Id, Text, Words
from handlers.kit.context import Context
from handlers.kit.dates import parse_when
from handlers.kit.limits import CALL_TITLE, FUNDER, MAX_MESSAGE, check_text
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import audit
from models import funding as store
from models.errors import N_, DomainError

MANAGERS_ONLY = N_("Only coordinators and experts manage funding calls.")
ADD_USAGE = N_(
    "<title>; <funder or programme>; <link>; <deadline>; <amount>; <tags, comma separated>"
)
LISTED = 30  # calls in /konkursy; the rest are counted


def parse_deadline(ctx: Context, text: str) -> datetime:
    """`30.04.2027` (end of that day) or `30.04.2027 12:00`."""
    try:
        return parse_when(text, ctx.now, ctx.settings.tz)
    except DomainError:
        return parse_when(f"{text.strip()} 23:59", ctx.now, ctx.settings.tz)


def _record(
    source: str,
    title: str,
    funder: str | None,
    link: str | None,
    deadline: datetime | None,
    budget: float | None,
    tags: str | None,
) -> CallRecord:
    return CallRecord(
        source=source,
        title=clean(title)[:300],
        link=link or None,
        programme=clean(funder or "") or None,
        deadlines=(deadline,) if deadline else (),
        budget=budget,
        currency="PLN" if budget is not None else None,
        tags=tuple(t.strip() for t in clean(tags or "").split(",") if t.strip()),
    )


def _csv_record(ctx: Context, values: dict[str, str]) -> CallRecord:
    """One row of an imported table; a bad value refuses the row with its reason."""
    title, link, deadline, amount = (
        clean(values.get(key, "")) for key in ("tytul", "link", "termin", "kwota")
    )
    if not title:
        raise DomainError(N_("A funding call needs at least a title."))
    funder = clean(values.get("grantodawca", ""))
    return _record(
        "csv",
        check_text(title, CALL_TITLE, "call_title"),
        check_text(funder, FUNDER, "funder") or None,
        check_link(link) if link else None,
        parse_deadline(ctx, deadline) if deadline else None,
        parse_amount(amount) if amount else None,
        values.get("tagi"),
    )


@REGISTRY.command(
    "konkursy",
    "calls",
    summary=N_("open funding calls for a network"),
    args=Words(Code("network", optional=True)),
    example="/konkursy cyfrowe",
    action=Action.READ,
    private=True,
)
async def list_calls(ctx: Context, network: str | None) -> list[Outgoing]:
    chosen = ctx.target_network(network)
    ctx.require(Action.READ, chosen)
    t = ctx.t
    with ctx.db.session() as s:
        found = matching_calls(s, chosen.id or 0, ctx.now)
    if not found:
        return [
            Outgoing(
                t("No open funding calls match the network {network} now.", network=chosen.name)
            )
        ]
    deadlines = {call.id: next_deadline(call.deadline_list, ctx.now) for call, _ in found}
    found.sort(key=lambda cm: (deadlines[cm[0].id] is None, deadlines[cm[0].id] or ctx.now))
    lines = [
        t.tn(
            "{n} open funding call for {network}:",
            "{n} open funding calls for {network}:",
            len(found),
            network=chosen.name,
        )
    ]
    for call, why in found[:LISTED]:
        deadline = deadlines[call.id]
        when = t.local(deadline).strftime("%d.%m.%Y") if deadline else "—"
        reasons = ", ".join([*why.keywords[:3], *([why.programme] if why.programme else [])])
        lines.append(f"#{call.id} {call.title} · {when} · {reasons}")
    if len(found) > LISTED:
        lines.append(t("…and {count} more.", count=len(found) - LISTED))
    lines.append(t("Details: /konkurs <nr>"))
    return [Outgoing("\n".join(lines))]


@REGISTRY.command(
    "konkurs",
    "call",
    summary=N_("details of a funding call"),
    args=Words(Id("call")),
    usage=N_("<nr>"),
    example="/konkurs 12",
    action=Action.READ,
    private=True,
)
async def show(ctx: Context, call: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        found = store.require_call(s, call)
    return [
        Outgoing(
            describe(ctx.t, found, ctx.now),
            actions=(Button(ctx.t("Follow"), f"/obserwuj {found.id}"),),
        )
    ]


@REGISTRY.command(
    "konkurs_dodaj",
    "call_add",
    summary=N_("add a funding call by hand"),
    args=Fields(
        Text("title", field_name="call_title"),
        Text("funder", optional=True, field_name="funder"),
        Link("link", optional=True),
        Text("deadline", optional=True),
        Amount("amount", optional=True),
        Text("tags", optional=True),
    ),
    usage=ADD_USAGE,
    example="/konkurs_dodaj Cyfrowa gmina; CPPC; https://…; 30.04.2027; 500000; cyfryzacja, e-usługi",
    action=Action.MANAGE_FUNDING,
    refusal=MANAGERS_ONLY,
    private=True,
)
async def add(
    ctx: Context,
    title: str,
    funder: str | None,
    link: str | None,
    deadline: str | None,
    amount: float | None,
    tags: str | None,
) -> list[Outgoing]:
    me = ctx.require_person()
    when = parse_deadline(ctx, deadline) if deadline else None
    record = _record("manual", title, funder, link, when, amount, tags)
    with ctx.db.session() as s:
        call, created = upsert(s, record, ctx.now, me.id)
        assert call is not None
        if not created:
            raise DomainError(
                N_("This call is already known as #{id}. Change it with /konkurs_zmien {id}."),
                id=call.id,
            )
        audit.record(s, ctx.now, me.id, "funding.add", f"call:{call.id}")
    text = ctx.t(
        "Added funding call #{id}. It will appear in the digests of the networks it fits.",
        id=call.id,
    )
    return [Outgoing(text + "\n\n" + describe(ctx.t, call, ctx.now))]


@REGISTRY.command(
    "konkurs_zmien",
    "call_edit",
    summary=N_("change a funding call"),
    args=Words(Id("call"), EditedField("field"), Text("value")),
    usage=N_("<nr> termin|kwota|tytul|link|tagi|grantodawca <value>"),
    example="/konkurs_zmien 12 termin 30.05.2027",
    action=Action.MANAGE_FUNDING,
    refusal=MANAGERS_ONLY,
    private=True,
)
async def edit(ctx: Context, call: int, field: str, value: str) -> list[Outgoing]:
    me = ctx.require_person()
    value = clean(value)
    with ctx.db.session() as s:
        found = store.require_call(s, call)
        if field == "deadline":
            was = next_deadline(found.deadline_list, ctx.now)
            store.edit_call(s, found, ctx.now, deadline=parse_deadline(ctx, value), was=was)
        elif field == "budget":
            store.edit_call(s, found, ctx.now, budget=parse_amount(value))
        elif field == "title":
            value = check_text(value, CALL_TITLE, "call_title")
            store.edit_call(s, found, ctx.now, title=value, title_key=title_key(value))
        elif field == "link":
            link = check_link(value)
            store.edit_call(s, found, ctx.now, link=link, link_key=canonical_link(link))
        elif field == "tags":
            tags = [t.strip() for t in value.split(",") if t.strip()]
            store.edit_call(s, found, ctx.now, tags=tags)
        else:
            store.edit_call(s, found, ctx.now, programme=check_text(value, FUNDER, "funder"))
        if field in ("title", "tags", "programme"):
            refresh_matches(s, [found.id or 0])  # what it fits may have changed
        audit.record(s, ctx.now, me.id, "funding.edit", f"call:{call}", field=field)
    return [Outgoing(ctx.t("Saved.") + "\n\n" + describe(ctx.t, found, ctx.now))]


@REGISTRY.command(
    "konkurs_wycofaj",
    "call_withdraw",
    summary=N_("withdraw a funding call"),
    args=Words(Id("call")),
    usage=N_("<nr>"),
    example="/konkurs_wycofaj 12",
    action=Action.MANAGE_FUNDING,
    refusal=MANAGERS_ONLY,
    private=True,
)
async def withdraw(ctx: Context, call: int) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        store.withdraw(s, store.require_call(s, call), ctx.now)
        audit.record(s, ctx.now, me.id, "funding.withdraw", f"call:{call}")
    return [
        Outgoing(
            ctx.t(
                "Funding call #{id} is withdrawn: it will not appear in digests any more.",
                id=call,
            )
        )
    ]


@REGISTRY.command(
    "konkursy_import",
    "calls_import",
    summary=N_("import funding calls from a CSV file"),
    args=Words(Text("pasted", optional=True, limit=MAX_MESSAGE)),
    usage=N_("(attach a CSV: tytul;grantodawca;link;termin;kwota;tagi)"),
    example="/konkursy_import",
    action=Action.MANAGE_FUNDING,
    refusal=MANAGERS_ONLY,
    private=True,
)
async def import_csv(ctx: Context, pasted: str | None) -> list[Outgoing]:
    """The attached table, or its lines pasted after the command."""
    me = ctx.require_person()
    files = ctx.incoming.files
    content = files[0].content if files else (pasted or "").encode("utf-8")
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
        try:
            records.append(_csv_record(ctx, row.values))
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
    return [Outgoing(text)]
