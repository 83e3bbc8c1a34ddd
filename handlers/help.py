"""/pomoc: what this caller may do here, grouped by what they do (meetings, office hours,
funding, polls, running the network, their own account).

Short by default: in each group the caller's two most used commands, one line each. The whole
list, with each command's usage, on request: `/pomoc wszystko`, or one group: `/pomoc spotkania`.
Commands for newcomers (`/start <kod>`, `/zglos`) are shown only to people the bot does not know.
English readers see English command names (every name works in every language).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.messages import Outgoing
from handlers.kit.args import Word, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold
from handlers.kit.feature import Feature
from handlers.kit.objects import shown
from handlers.kit.registry import REGISTRY, Command
from models import directory
from models.core import Network
from models.errors import N_, DomainError

FEATURE = Feature("help")
SHORT = 2  # commands per group in the short list


@dataclass(frozen=True)
class Group:
    key: str  # what an English reader types after /help
    word: str  # what a Polish reader types after /pomoc (without diacritics; both work)
    title: str  # catalogue id
    features: tuple[str, ...]  # handlers/<feature> whose commands belong here
    first: tuple[str, ...]  # the commands the short list picks first (the caller's usable ones)


GROUPS = (
    Group(
        "meetings",
        "spotkania",
        N_("Meetings"),
        ("meetings",),
        ("spotkanie_nowe", "rsvp", "obecnosc", "moje_spotkania", "lista_obecnosci"),
    ),
    Group(
        "office",
        "dyzury",
        N_("Office hours"),
        ("office_hours",),
        ("dyzur_seria", "dyzur", "nastepny", "moje_dyzury", "dyzur_terminy"),
    ),
    Group(
        "funding",
        "konkursy",
        N_("Funding calls"),
        ("funding",),
        ("konkursy", "konkurs_dodaj", "obserwuj", "profil"),
    ),
    Group(
        "polls",
        "ankiety",
        N_("Polls and feedback"),
        ("feedback",),
        ("raport", "ankieta", "glosowanie", "trend"),
    ),
    Group(
        "network",
        "siec",
        N_("Running the network"),
        ("roster", "joining", "announcements", "group_chats"),
        ("ogloszenie", "zaproszenie", "osoby", "osoba_dodaj", "polacz"),
    ),
    Group(
        "account",
        "konto",
        N_("General"),
        (),  # everything else: help, my page, contacts, language, my data
        ("strona", "kontakt", "jezyk", "moje_dane"),
    ),
)
# commands of a feature that serve another group
NETWORK_UPKEEP = ("zaproszenie", "polacz", "odlacz", "osoby")
EVERYTHING = ("wszystko", "all", "pelna", "full")


def group_of(cmd: Command) -> Group:
    if cmd.name in NETWORK_UPKEEP:
        return GROUPS[4]
    feature = cmd.handler.__module__.split(".")[1]
    return next((g for g in GROUPS if feature in g.features), GROUPS[-1])


def _networks_in_view(ctx: Context) -> list[Network]:
    if ctx.network is not None:
        return [ctx.network]
    if ctx.person is None:
        return []
    with ctx.db.session() as s:
        return list(directory.networks(s))


def _visible(ctx: Context, cmd: Command, networks: list[Network]) -> bool:
    if cmd.hidden or cmd.scope == ("group" if ctx.private else "private"):
        return False  # only what works in this chat
    if cmd.newcomers and ctx.person is not None:
        return False  # /start <kod>, /zglos: the bot knows this person already
    return cmd.usable(ctx, networks)


def _line(ctx: Context, cmd: Command, usage: bool = True) -> str:
    typed = cmd.usage_text(ctx.t) if usage else ""
    typed = f" {typed}" if typed else ""
    return f"/{cmd.called(ctx.t.language)}{typed} — {ctx.t(cmd.summary)}"


def _short(commands: list[Command], group: Group) -> list[Command]:
    first = sorted(
        (c for c in commands if c.name in group.first), key=lambda c: group.first.index(c.name)
    )
    rest = [c for c in commands if c.name not in group.first]
    return (first + rest)[:SHORT]


def _topic(ctx: Context, topic: str | None) -> str | None:
    """ "all", a group's key, or None (the short list); a word it does not know is explained."""
    if topic is None:
        return None
    word = fold(topic)
    if word in EVERYTHING:
        return "all"
    for group in GROUPS:
        if word in (group.key, group.word):
            return group.key
    english = ctx.t.language == "en"
    parts = ", ".join(g.key if english else g.word for g in GROUPS)
    raise DomainError(
        N_(
            "I have no help on “{topic}”. Type /{name} {everything} for every command, or one part: {parts}."
        ),
        topic=shown(topic),
        name="help" if english else "pomoc",
        everything="all" if english else "wszystko",
        parts=parts,
    )


@REGISTRY.command(
    "pomoc",
    "help",
    summary=N_("what I can do for you here"),
    args=Words(Word("topic", optional=True, label=N_("all or a part"))),
    example="/pomoc wszystko",
)
async def help_command(ctx: Context, topic: str | None) -> list[Outgoing]:
    chosen = _topic(ctx, topic)
    networks = _networks_in_view(ctx)
    visible = [c for c in REGISTRY.commands() if _visible(ctx, c, networks)]
    if ctx.person is None:
        header = ctx.t(
            N_(
                "EMPIRIE networks bot. To start, type /start followed by the invitation "
                "code from your coordinator."
            )
            if ctx.private
            else N_(
                "EMPIRIE networks bot. To start, type /start followed by the invitation "
                "code from your coordinator in a private chat with me."
            )
        )
        return [Outgoing("\n".join([header, "", *(_line(ctx, c) for c in visible)]))]
    if ctx.network is not None:
        header = ctx.t(
            "Commands available to you in the network {network}:", network=ctx.network.name
        )
    else:
        header = ctx.t("Commands available to you:")
    lines = [header]
    for group in GROUPS:
        if chosen not in (None, "all", group.key):
            continue
        mine = [c for c in visible if group_of(c) is group]
        if not mine:
            continue
        title = ctx.t(group.title) + ":"
        lines += [title] if chosen is None else ["", title]  # the whole list: spaced out
        if chosen is None:
            lines += [_line(ctx, c, usage=False) for c in _short(mine, group)]
        else:
            lines += [_line(ctx, c) for c in mine]
    english = ctx.t.language == "en"
    if chosen is None:
        lines.append(
            ctx.t(
                "Every command: /{name} {everything}; one part, e.g. /{name} {part}.",
                name="help" if english else "pomoc",
                everything="all" if english else "wszystko",
                part=GROUPS[0].key if english else GROUPS[0].word,
            )
        )
    elif len(lines) == 1:
        lines.append(ctx.t("None of these commands is for you here."))
    return [Outgoing("\n".join(lines))]
