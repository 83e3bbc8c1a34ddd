"""The language check (issue 24): every catalogue message, rendered with sample values, read
by a Polish dictionary and by rules for the mistakes a dictionary cannot see.

    python -m tools.language        # list what the check finds in the catalogues

- Spelling: Debian's `hunspell-pl` (/usr/share/hunspell/pl_PL.{aff,dic}) through `spylls`, a
  pure-Python Hunspell; each word is looked up once. Names, commands and brand words that no
  dictionary holds are in tests/language_allow.txt.
- Rules of our own: a preposition before a weekday in the wrong case ("do wtorek"), a
  preposition before a colon ("do: piątek"), a count shown as a label ("osób: 6", "czaty (1)")
  instead of a plural form, a number with a noun in the wrong form ("5 osoby"), two colons in
  one sentence.
- English: no Polish letters or Polish words outside commands and allowed names.

Messages are rendered with counts 1, 2, 5, 12 and 22 (plural messages with the forms those
counts select) and dates on different weekdays, so every form a person can get is read.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from core.i18n import Translator, catalogue, plurals

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY = Path("/usr/share/hunspell/pl_PL")
ALLOW_LIST = ROOT / "tests" / "language_allow.txt"
COUNTS = (1, 2, 5, 12, 22)
WARSAW = ZoneInfo("Europe/Warsaw")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Placeholders that carry a count: rendered with COUNTS, and never shown as a bare label.
COUNT_FIELDS = _words(
    "answered asked bad cap capacity changed chats count days failed finished free held "
    "hours in_person invited length limit max maybe minutes n no online pending people "
    "present same seated sent size staff taken total used waiting weeks"
)
_SAMPLE_DAYS = [datetime(2026, 12, day, 7, 0, tzinfo=UTC) for day in (8, 9, 12)]  # Tue Wed Sat
# other placeholders: one sample each (a name, a title, a city…)
SAMPLES: dict[str, str] = {
    "name": "Grażyna Żółkiewska",
    "names": "Grażyna Żółkiewska, Jędrzej Ślęzak",
    "city": "Łomża",
    "cities": "Łomża, Płock",
    "network": "MIASTO CYFROWE",
    "networks": "MIASTO CYFROWE, MIASTO ZIELONE",
    "former": "MIASTO ZIELONE",
    "code": "cyfrowe",
    "codes": "cyfrowe, zielone",
    "title": "Spotkanie II",
    "survey": "zaufanie",
    "question": "Jak oceniasz spotkanie?",
    "topic": "dotacje na e-usługi",
    "text": "Dostępność cyfrowa",
    "link": "https://teams.example/spotkanie",
    "url": "https://example.org/konkursy.xml",
    "where": "Łomża, ul. Długa 1",
    "place": "Łomża, ul. Długa 1",
    "email": "g.zolkiewska@um.lomza.pl",
    "position": "Naczelniczka Wydziału",
    "standing": "laureat",
    "role": "koordynator",
    "roles": "koordynator, ekspert",
    "platform": "Telegram",
    "platforms": "Telegram",
    "reason": "sieć jest pełna",
    "why": "serwer nie odpowiada",
    "problem": "brak kodu sieci",
    "field": "miejsce",
    "fields": "stanowisko",
    "state": "",
    "format": "hybrydowe",
    "answer": "stacjonarnie",
    "notes": "dieta wegetariańska",
    "words": "retencja, zieleń",
    "word": "retencja",
    "file": "skład.xlsx",
    "path": "skład.xlsx",
    "value": "coś",
    "who": "12",
    "query": "Nowak",
    "chat": "Sieć cyfrowa",
    "option": "maj",
    "meeting": "Spotkanie II",
    "agenda": "10:00 Wykłady",
    "audience": "czaty sieci",
    "delivery": "wysłane",
    "pinned": "tak",
    "kind": "część otwarta",
    "programme": "LIFE",
    "currency": "PLN",
    "amount": "50\xa0000",
    "usage": "/rsvp <nr spotkania>",
    "example": "/rsvp 3 online",
    "command": "/wyniki 3",
    "choices": "stacjonarnie | online",
    "items": "Łomża 2/2, Płock 0/2",
    "counts": "stacjonarnie 2, online 1",
    "columns": "Miasto",
    "expected": "Sieć, Miasto",
    "spread": "5×2, 4×1",
    "averages": "4,5",
    "average": "4,5",
    "rate": "60",
    "time": "10:15",
    "end": "12:00",
}
DATE_FIELDS = _words("when date deadline until dates opens start")
NUMBER_FIELDS = _words("id number slot row line last first low high position old new")

WEEKDAYS = {  # nominative → its forms by case (gen, acc, ins, loc)
    "poniedziałek": ("poniedziałku", "poniedziałek", "poniedziałkiem", "poniedziałku"),
    "wtorek": ("wtorku", "wtorek", "wtorkiem", "wtorku"),
    "środa": ("środy", "środę", "środą", "środzie"),
    "czwartek": ("czwartku", "czwartek", "czwartkiem", "czwartku"),
    "piątek": ("piątku", "piątek", "piątkiem", "piątku"),
    "sobota": ("soboty", "sobotę", "sobotą", "sobocie"),
    "niedziela": ("niedzieli", "niedzielę", "niedzielą", "niedzieli"),
}
PREPOSITIONS = {"do": 0, "od": 0, "z": 0, "ze": 0, "bez": 0, "przed": 2, "za": 2, "po": 3}
PREPOSITIONS |= {"o": 3, "w": 1, "we": 1, "na": 1}
_ANY_DAY = "|".join(sorted({w for day, forms in WEEKDAYS.items() for w in (day, *forms)}))
_PREP_DAY = re.compile(
    rf"\b({'|'.join(PREPOSITIONS)})\s+({_ANY_DAY})\b", re.IGNORECASE | re.UNICODE
)
_PREP_COLON = re.compile(r"\b(do|od|na|przed|po|dla|w|we|z)\s*:\s", re.IGNORECASE)
# a number and a noun after it: the noun's forms for 1, for 2–4 (not 12–14), for the rest;
# after a preposition that takes the genitive ("do 2 osób", "z 1 miejsca") the GENITIVE forms
NOUNS = [
    ("osoba", "osoby", "osób"),
    ("dzień", "dni", "dni"),
    ("czat", "czaty", "czatów"),
    ("miasto", "miasta", "miast"),
    ("pytanie", "pytania", "pytań"),
    ("odpowiedź", "odpowiedzi", "odpowiedzi"),
    ("głos", "głosy", "głosów"),
    ("termin", "terminy", "terminów"),
    ("znak", "znaki", "znaków"),
    ("wiersz", "wiersze", "wierszy"),
    ("zmiana", "zmiany", "zmian"),
    ("konkurs", "konkursy", "konkursów"),
    ("spotkanie", "spotkania", "spotkań"),
    ("miejsce", "miejsca", "miejsc"),
    ("tydzień", "tygodnie", "tygodni"),
    ("minuta", "minuty", "minut"),
    ("godzina", "godziny", "godzin"),
    ("przedstawiciel", "przedstawicieli", "przedstawicieli"),
    ("wiadomość", "wiadomości", "wiadomości"),
    ("kanał", "kanały", "kanałów"),
]
GENITIVE = {
    "osoba": ("osoby", "osób", "osób"),
    "dzień": ("dnia", "dni", "dni"),
    "czat": ("czatu", "czatów", "czatów"),
    "miasto": ("miasta", "miast", "miast"),
    "pytanie": ("pytania", "pytań", "pytań"),
    "odpowiedź": ("odpowiedzi", "odpowiedzi", "odpowiedzi"),
    "głos": ("głosu", "głosów", "głosów"),
    "termin": ("terminu", "terminów", "terminów"),
    "znak": ("znaku", "znaków", "znaków"),
    "wiersz": ("wiersza", "wierszy", "wierszy"),
    "zmiana": ("zmiany", "zmian", "zmian"),
    "konkurs": ("konkursu", "konkursów", "konkursów"),
    "spotkanie": ("spotkania", "spotkań", "spotkań"),
    "miejsce": ("miejsca", "miejsc", "miejsc"),
    "tydzień": ("tygodnia", "tygodni", "tygodni"),
    "minuta": ("minuty", "minut", "minut"),
    "godzina": ("godziny", "godzin", "godzin"),
    "przedstawiciel": ("przedstawiciela", "przedstawicieli", "przedstawicieli"),
    "wiadomość": ("wiadomości", "wiadomości", "wiadomości"),
    "kanał": ("kanału", "kanałów", "kanałów"),
}
GENITIVE_PREPOSITIONS = _words("do z ze od bez około ponad dla u według wśród spośród")
_NOUN_FORMS = {f for forms in (*NOUNS, *GENITIVE.values()) for f in forms}
_NUMBER_NOUN = re.compile(
    rf"(?:\b(\w+)\s+)?\b(\d+)\s+({'|'.join(sorted(_NOUN_FORMS, key=len, reverse=True))})\b"
)
_COMMAND_BEFORE = re.compile(r"/\w+\s+$")
_IGNORED = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+|(?<!\w)/[a-z_]+|\b\w*\d\w*\b|[\w.-]+\.(xlsx|csv|pdf|ics)"
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
POLISH_LETTERS = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
POLISH_WORDS = _words(
    "nie tak jest się albo lub oraz dla sieć sieci spotkanie spotkania termin dyżur "
    "dyżuru osoba osoby osób miasto miasta ankieta pytanie odpowiedź wpisz napisz zobacz "
    "brak przez jako które który która możesz twoje twoja wolny wolne godz"
)


def plural_index(n: int) -> int:
    return 0 if n == 1 else 1 if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else 2


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str  # the rendered text (or template) where it was seen
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail!r} in {self.text[:160]!r}"


@cache
def allowed() -> frozenset[str]:
    """Words no dictionary knows that are right here: names, brands, abbreviations."""
    words = set()
    for line in ALLOW_LIST.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("["):  # [sections] only group the list
            words.add(line)
    return frozenset(words)


class Speller:
    """Hunspell's Polish dictionary through spylls; each distinct word is looked up once."""

    def __init__(self, path: Path = DICTIONARY) -> None:
        from spylls.hunspell import Dictionary

        self._dictionary = Dictionary.from_files(str(path))
        self._known: dict[str, bool] = {}

    def knows(self, word: str) -> bool:
        if word in allowed() or word.lower() in allowed():
            return True
        if word not in self._known:
            parts = word.split("-")  # "koordynator-facylitator": each part is a word
            self._known[word] = bool(self._dictionary.lookup(word)) or (
                len(parts) > 1 and all(self.knows(p) for p in parts)
            )
        return self._known[word]


@cache
def speller() -> Speller:
    return Speller()


def words(text: str) -> Iterator[str]:
    """The words of a text a reader reads: commands, links, e-mails, numbers and file names
    are not words."""
    yield from _WORD.findall(_IGNORED.sub(" ", text))


def _fields(template: str) -> list[tuple[str, str]]:
    return [(f, spec or "") for _, f, spec, _ in string.Formatter().parse(template) if f]


def _sample(field: str, count: int, day: datetime, t: Translator) -> object:
    if field in COUNT_FIELDS:
        return count
    if field in DATE_FIELDS:
        return t.datetime(day)
    if field in NUMBER_FIELDS:
        return 3
    return SAMPLES.get(field, "Łomża")


def render(template: str, t: Translator, counts: Iterable[int] = COUNTS) -> list[str]:
    """The template filled with sample values: once per count and weekday."""
    names = {f for f, _ in _fields(template)}
    if not names:
        return [template]
    glued = set(re.findall(r"\}\{(\w+)", template))  # "{name}{where}": a suffix
    result = []
    for count, day in zip(counts, _SAMPLE_DAYS * 2, strict=False):
        values = {f: _sample(f, count, day, t) for f in names}
        values |= {f: f" ({values[f]})" for f in glued}
        result.append(t.format(template, **values))
    return result


def catalogue_texts(language: str = "pl") -> Iterator[tuple[str, str]]:
    """(template, rendered) for every message of the catalogue, every plural form included."""
    t = Translator(language, WARSAW)
    for text in sorted(set(catalogue(language).values())):
        for rendered in render(text, t):
            yield text, rendered
    for forms in sorted(set(plurals(language).values())):
        for form_index, form in enumerate(forms):
            counts = [n for n in COUNTS if plural_index(n) == form_index]
            for rendered in render(form, t, counts or [0]):
                yield form, rendered


# --- the checks ----------------------------------------------------------------------------


def spelling(text: str) -> list[Finding]:
    check = speller()
    return [Finding("spelling", text, w) for w in words(text) if not check.knows(w)]


def grammar(text: str) -> list[Finding]:
    """Mistakes in a rendered Polish text."""
    found: list[Finding] = []
    for match in _PREP_DAY.finditer(text):
        preposition, day = match.group(1).lower(), match.group(2).lower()
        case = PREPOSITIONS[preposition]
        nominative = next(n for n, forms in WEEKDAYS.items() if day == n or day in forms)
        wanted = WEEKDAYS[nominative][case]
        if preposition == "w" and nominative == "wtorek":
            found.append(Finding("preposition", text, f"{match.group(0)} (we wtorek)"))
        elif day != wanted:
            found.append(Finding("preposition", text, f"{match.group(0)} ({wanted})"))
    for match in _PREP_COLON.finditer(text):
        found.append(Finding("preposition before a colon", text, match.group(0)))
    for match in _NUMBER_NOUN.finditer(text):
        before, n, noun = (match.group(1) or "").lower(), int(match.group(2)), match.group(3)
        if _COMMAND_BEFORE.search(text[: match.start(2)]):
            continue  # an example of a command: "/spotkanie_zmien 3 miejsce …"
        table = (
            list(GENITIVE.values()) if before in GENITIVE_PREPOSITIONS else [list(f) for f in NOUNS]
        )
        forms = next((f for f in table if noun in f), None)
        if forms is not None and forms[plural_index(n)] != noun:
            found.append(Finding("plural", text, f"{n} {noun} ({n} {forms[plural_index(n)]})"))
    for clause in re.split(r"(?<=[.!?;])\s+|\n| — | · ", re.sub(r"\([^()]*\)", "", text)):
        if len(re.findall(r":(?:\s|$)", clause)) > 1:
            found.append(Finding("two colons", text, clause))
    return found


_LABEL_COUNT = re.compile(r"(?:(\w+)\s*:\s*|\()\{(\w+)\}(\))?")


def count_labels(template: str) -> list[Finding]:
    """A count shown as a label ("osób: {count}", "czaty ({chats})") where a sentence with the
    count's plural form belongs."""
    found = []
    for match in _LABEL_COUNT.finditer(template):
        label, field, closing = match.groups()
        if field not in COUNT_FIELDS:
            continue
        if match.group(0).startswith("(") and not closing:
            continue  # "({used} z {cap})": a fraction, not a label
        found.append(Finding("count as a label", template, match.group(0)))
        del label
    return found


# What an English text may hold in Polish: what a person types (a command and its arguments,
# choices such as a|b, tak/nie or a;b;c, usage placeholders) and examples.
_TYPED = re.compile(
    r"\{\w*(:\w+)?\}"  # placeholders
    r"|(?<!\w)/\w+[^\n.;()]*"  # a command and what follows it in the clause
    r"|[\w-]+(?:\s*[|/;]\s*[\w-]+)+"  # choices: a|b|c, tak/nie, tytul;termin
    r"|\b(?i:e\.g\.|for example:?)\s*[^()\n]*"  # an example (also on the next line)
    r"|<[^>]*>"  # a usage placeholder
)


def english(text: str) -> list[Finding]:
    """Polish in an English text (what a person types, placeholders and allowed names
    aside)."""
    found = []
    for word in words(_TYPED.sub(" ", text)):
        if word in allowed():
            continue
        if POLISH_LETTERS.search(word) or word.lower() in POLISH_WORDS:
            found.append(Finding("Polish in English", text, word))
    return found


def check_polish(texts: Iterable[str]) -> list[Finding]:
    found: list[Finding] = []
    for text in dict.fromkeys(texts):
        found += spelling(text) + grammar(text)
    return found


def check_catalogue() -> list[Finding]:
    found: list[Finding] = []
    templates = set()
    for template, rendered in catalogue_texts("pl"):
        templates.add(template)
        found += spelling(rendered) + grammar(rendered)
    for template in sorted(set(catalogue("pl").values())):
        found += count_labels(template)
    return list(dict.fromkeys(found))


def check_english() -> list[Finding]:
    """What an English reader gets: the ids, and the English catalogue's own translations."""
    found: list[Finding] = []
    for text in [*catalogue("pl"), *catalogue("en").values()]:
        found += english(text)
    for ids in plurals("pl"):  # the ids are English
        for text in ids:
            found += english(text)
    for ids, forms in plurals("en").items():
        for text in (*ids, *forms):
            found += english(text)
    return list(dict.fromkeys(found))


def main() -> int:
    found = check_catalogue() + check_english()
    for finding in found:
        print(finding)
    print(f"{len(found)} findings", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
