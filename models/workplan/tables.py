"""The network's work plan ("plan pracy sieci"): goals, the planned calendar of meetings,
actions with an owner, a due date and a status (and each status line given), and the
"kontrakt" — the rules of cooperation, versioned — with each city's acknowledgement."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


class ActionStatus(StrEnum):
    """planned → in_progress → done | dropped (and back, when the coordinator says so)."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


OPEN_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
GOAL_MAX, ACTION_MAX, NOTE_MAX, TOPIC_MAX = 500, 500, 300, 200
CONTRACT_MAX = 8000  # a chat message holds at most MAX_MESSAGE; a page may carry more


class PeriodKind(StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"


class PlanGoal(SQLModel, table=True):
    __tablename__ = "plan_goal"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    text: str = Field(sa_type=String(GOAL_MAX))
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlannedMeeting(SQLModel, table=True):
    """A meeting in the plan's calendar: a day, a month or a quarter of the programme period,
    linked to the real meeting once one is published in that period."""

    __tablename__ = "plan_meeting"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    starts_on: date
    ends_on: date  # inclusive
    kind: str = Field(sa_type=String(8))  # PeriodKind
    topic: str | None = Field(default=None, sa_type=String(TOPIC_MAX))
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlanAction(SQLModel, table=True):
    """An action of the plan: its owner is a city (of the network) or a person."""

    __tablename__ = "plan_action"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    description: str = Field(sa_type=String(ACTION_MAX))
    owner_city_id: int | None = Field(default=None, foreign_key="city.id")
    owner_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    due_on: date
    status: str = Field(default=ActionStatus.PLANNED, sa_type=String(12))  # ActionStatus
    note: str | None = Field(default=None, sa_type=String(NOTE_MAX))  # the latest status line
    status_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")  # agreed there
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class PlanActionUpdate(SQLModel, table=True):
    """Each status line given for an action, by whom (the history the coordinator monitors)."""

    __tablename__ = "plan_action_update"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="plan_action.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(sa_type=String(12))
    note: str | None = Field(default=None, sa_type=String(NOTE_MAX))


class Contract(SQLModel, table=True):
    """One version of a network's rules of cooperation; the newest is in force."""

    __table_args__ = (UniqueConstraint("network_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    version: int
    text: str = Field(sa_type=Text)
    set_by: int | None = Field(default=None, foreign_key="person.id")
    set_at: datetime = Field(sa_type=UTCDateTime)


class ContractAck(SQLModel, table=True):
    """A city's acknowledgement of one version, given once by one of its representatives."""

    __tablename__ = "contract_ack"
    __table_args__ = (UniqueConstraint("network_id", "city_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    city_id: int = Field(foreign_key="city.id")
    version: int
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
