"""A network's funding profile: the words and programmes its calls are matched by."""

from __future__ import annotations

from core.messages import Outgoing
from handlers.funding.args import clean
from handlers.funding.match import fold
from handlers.funding.store import ensure_profiles
from handlers.kit.args import Code, Text, Words
from handlers.kit.context import Context
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import audit
from models import funding as store
from models.core import Network
from models.errors import N_, DomainError

PROGRAMME = "program:"


def _shown(ctx: Context, network: Network) -> str:
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
    args=Words(Code("network", optional=True)),
    example="/profil cyfrowe",
    action=Action.READ,
    private=True,
)
async def profile(ctx: Context, network: str | None) -> list[Outgoing]:
    chosen = ctx.target_network(network)
    ctx.require(Action.READ, chosen)
    return [Outgoing(_shown(ctx, chosen))]


def _edit(ctx: Context, code: str | None, words: str, adding: bool) -> list[Outgoing]:
    """Add or remove comma-separated words and `program:CODE`s (case and accents aside)."""
    network = ctx.target_network(code)
    ctx.require(Action.MANAGE_FUNDING, network)
    me = ctx.require_person()
    items = [clean(w)[:100] for w in words.split(",") if clean(w)]
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
            if fold(item).startswith(PROGRAMME):
                target, value = programmes, item.split(":", 1)[1].strip().upper()
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
        row.matched_at = None  # every call is classified again against the new profile
        s.add(row)
        audit.record(
            s, ctx.now, me.id, "funding.profile", f"network:{network.id}", added=adding, items=items
        )
    return [Outgoing(ctx.t("Saved.") + "\n" + _shown(ctx, network))]


@REGISTRY.command(
    "profil_dodaj",
    "profile_add",
    summary=N_("add words or programmes to a network's profile"),
    args=Words(Code("network", optional=True), Text("words")),
    usage=N_("[network] <word>, <word>, program:<CODE>"),
    example="/profil_dodaj zielone retencja, program:LIFE",
    action=Action.MANAGE_FUNDING,
    private=True,
)
async def profile_add(ctx: Context, network: str | None, words: str) -> list[Outgoing]:
    return _edit(ctx, network, words, adding=True)


@REGISTRY.command(
    "profil_usun",
    "profile_remove",
    summary=N_("remove words or programmes from a network's profile"),
    args=Words(Code("network", optional=True), Text("words")),
    usage=N_("[network] <word>, program:<CODE>"),
    example="/profil_usun zielone retencja",
    action=Action.MANAGE_FUNDING,
    private=True,
)
async def profile_remove(ctx: Context, network: str | None, words: str) -> list[Outgoing]:
    return _edit(ctx, network, words, adding=False)
