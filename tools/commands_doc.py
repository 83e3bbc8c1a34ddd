"""The command reference for people who use the bot (Polish), from the command registry:
every command a person can type, what it does, who may use it, where it answers, an example.
Written by `python -m tools.docs` into docs/uzytkownicy/komendy.md."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.i18n import Translator
from handlers import features, load_all
from handlers.kit.labels import ROLE
from handlers.kit.permissions import holders
from handlers.kit.registry import REGISTRY, Command
from models.enums import Role

# Polish headings for the features' codes (handlers/<feature>); a new feature without one
# is listed under its code until a heading is added here.
TITLES = {
    "membership": "Konto, zaproszenia i czaty sieci",
    "joining": "Zgłoszenia do sieci",
    "roster": "Lista uczestników",
    "meetings": "Spotkania",
    "office_hours": "Dyżury eksperckie",
    "feedback": "Ankiety, głosowania i raporty",
    "announcements": "Ogłoszenia",
    "funding": "Konkursy i źródła finansowania",
    "workplan": "Plan pracy sieci, działania i kontrakt",
    "consultations": "Konsultacje wyników i potrzeby miast",
    "hub": "Strona „Czeka na Ciebie”",
    "contacts": "Kontakt",
    "help": "Pomoc",
    "privacy": "Twoje dane",
    "summary": "Podsumowanie dla Kierownictwa ZMP",
}


def _feature(command: Command) -> str:
    return command.handler.__module__.split(".")[1]


def _who(command: Command, t: Translator) -> str:
    if not command.actions:
        return "każdy"
    roles = list(dict.fromkeys(r for a in command.actions for r in holders(a)))
    if set(roles) == set(Role):
        return "każda osoba z listy"
    return ", ".join(t(ROLE[r]) for r in roles)


def _where(command: Command) -> str:
    if command.scope == "private":
        return "czat prywatny"
    if command.scope == "group":
        return "czat sieci"
    return "wszędzie, odpowiedź prywatnie" if command.private else "wszędzie"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference() -> str:
    load_all()
    t = Translator("pl", ZoneInfo("Europe/Warsaw"))
    order = [f.name for f in features()]
    modules = {
        f"handlers.{f.name}.{m}" if f.modules else f"handlers.{f.name}": i
        for f in features()
        for i, m in enumerate(f.modules or ("",))
    }

    def written(command: Command) -> tuple[int, int]:
        """Where the command is declared: the feature's module order, then the line (so the
        order does not depend on which module some caller imported first)."""
        module = command.handler.__module__
        return (modules.get(module, len(modules)), command.handler.__code__.co_firstlineno)

    commands = sorted(
        (
            c
            for c in REGISTRY.commands()
            if not c.hidden and c.handler.__module__.startswith("handlers.")  # not a test's own
        ),
        key=written,
    )
    out = [
        "# Komendy bota",
        "",
        "<!-- Wygenerowane przez `python -m tools.docs` z rejestru komend",
        "(handlers/kit/registry.py); tests/test_docs.py pilnuje, by było aktualne. -->",
        "",
        "Każdą komendę można wpisać po polsku albo po angielsku (nazwa w nawiasie). Bot pokazuje",
        "tylko te, których dana osoba może użyć: wpisz `/pomoc` w czacie z botem. Komendy",
        "oznaczone „odpowiedź prywatnie” wpisane w czacie sieci dostają odpowiedź w czacie",
        "prywatnym z botem, bo dotyczą tylko Ciebie.",
        "",
        "Przyciski pod wiadomościami bota wykonują te same komendy.",
        "",
    ]
    known = list(TITLES)

    def place(feature: str) -> tuple[int, int]:
        return (known.index(feature), 0) if feature in known else (len(known), order.index(feature))

    for feature in sorted({_feature(c) for c in commands}, key=place):
        out += [
            f"## {TITLES.get(feature, feature)}",
            "",
            "| Komenda | Co robi | Kto może | Gdzie | Przykład |",
            "|---|---|---|---|---|",
        ]
        for command in (c for c in commands if _feature(c) == feature):
            usage = command.usage_text(t)
            name = f"`/{command.name}{' ' + usage if usage else ''}`"
            aliases = ", ".join(f"`/{a}`" for a in command.aliases)
            example = f"`{command.example}`" if command.example else ""
            out.append(
                f"| {_cell(name)}{f' ({_cell(aliases)})' if aliases else ''} | "
                f"{_cell(t(command.summary))} | {_cell(_who(command, t))} | {_where(command)} | "
                f"{_cell(example)} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"
