"""One length rule per field, the same on SQLite and PostgreSQL.

PostgreSQL refuses a value longer than its VARCHAR(n) and any NUL character; SQLite stores
both. So the limit of every field people fill in is read here from the column it ends in
(`String(n)` in the models), never written down twice, and:

- `FIELDS` names what people type (the city, a person's name, a call's link…), with the
  catalogue label a refusal shows and its limit from the column(s): the entry paths (command
  arguments, the roster file, the join questions) check against it before the database;
- `guard` checks every string column of every row about to be written (a flush), whatever
  path it came by, and refuses with the same message: nothing over-long and no NUL reaches
  either database, so both behave alike even where an entry path forgot a check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session

from models.core import City, Person
from models.errors import N_, DomainError, Msgid, Nn_
from models.funding import FundingCall, FundingFeed
from models.joins import JoinRequest
from models.meetings import Meeting, MeetingPart, Rsvp
from models.office_hours import OfficeBooking, OfficeSeries, OfficeSession, OfficeWaitlist

TOO_LONG = N_("The field “{field}” is too long: at most {most} (yours has {length}).")
HAS_NUL = N_("The message contains a NUL character, which I cannot store. Please type it again.")


def length(attribute: Any) -> int:
    """The n of a `String(n)` column."""
    assert isinstance(attribute, InstrumentedAttribute)
    column_type = attribute.property.columns[0].type
    assert isinstance(column_type, String) and column_type.length, attribute
    return int(column_type.length)


@dataclass(frozen=True)
class Field:
    """Something people type, the columns it is stored in, and the label refusals show."""

    label: str
    columns: tuple[Any, ...]

    @property
    def limit(self) -> int:
        return min(length(c) for c in self.columns)


FIELDS: dict[str, Field] = {
    "title": Field(N_("title"), (Meeting.title, MeetingPart.title)),
    "place": Field(N_("place"), (Meeting.place, OfficeSeries.place, OfficeSession.place)),
    "link": Field(
        N_("link"),
        (
            Meeting.online_link,
            MeetingPart.stream_link,
            OfficeSeries.link,
            OfficeSession.link,
            FundingCall.link,
            FundingFeed.url,
        ),
    ),
    "note": Field(N_("notes"), (Rsvp.note,)),
    "topic": Field(N_("topic"), (OfficeBooking.topic, OfficeWaitlist.topic)),
    "name": Field(N_("name"), (Person.name, JoinRequest.name)),
    "email": Field(N_("e-mail"), (Person.email, JoinRequest.email)),
    "position": Field(N_("position"), (Person.position, JoinRequest.position)),
    "office": Field(N_("office"), (Person.office_title,)),
    "city": Field(N_("city"), (City.name, JoinRequest.city_name)),
    "voivodeship": Field(N_("voivodeship"), (City.voivodeship,)),
    "call_title": Field(N_("title"), (FundingCall.title,)),
    "funder": Field(N_("funder"), (FundingCall.programme, FundingFeed.funder)),
}


def limit(field: str) -> int:
    return FIELDS[field].limit


def label(field: str) -> str:
    """The catalogue label of a field (its own name when it has none)."""
    known = FIELDS.get(field)
    return Msgid(known.label) if known else field


def too_long(field: str, value: str, limit: int) -> DomainError:
    return DomainError(
        TOO_LONG,
        field=label(field),
        most=Nn_("{n} character", "{n} characters", limit),
        length=len(value),
    )


# the guard: every String(n) column of every table, by the field whose column it is
_BY_COLUMN = {
    (column.class_.__tablename__, column.key): name
    for name, spec in FIELDS.items()
    for column in spec.columns
}
_CHECKED: dict[type, list[tuple[str, int, str]]] = {}


def _string_columns(model: type) -> list[tuple[str, int, str]]:
    found = _CHECKED.get(model)
    if found is None:
        mapper: Any = inspect(model)
        found = []
        for attribute in mapper.column_attrs:
            column_type = attribute.columns[0].type
            if isinstance(column_type, String):
                table = getattr(model, "__tablename__", "")
                field = _BY_COLUMN.get((table, attribute.key), attribute.key)
                found.append((attribute.key, column_type.length or 0, field))
        _CHECKED[model] = found
    return found


def check_row(row: object) -> None:
    """A DomainError for the first string that PostgreSQL would refuse: too long or a NUL."""
    for key, size, field in _string_columns(type(row)):
        value = getattr(row, key, None)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            raise DomainError(HAS_NUL)
        if size and len(value) > size:
            raise too_long(field, value, size)


@event.listens_for(Session, "before_flush")
def guard(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        check_row(row)
