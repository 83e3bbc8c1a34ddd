"""The network's work plan: the tables (tables.py) and their queries (queries.py, imported
as `from models.workplan import queries as plan`)."""

from models.workplan.tables import (
    ACTION_MAX,
    CONTRACT_MAX,
    GOAL_MAX,
    NOTE_MAX,
    OPEN_STATUSES,
    TOPIC_MAX,
    ActionStatus,
    Contract,
    ContractAck,
    PeriodKind,
    PlanAction,
    PlanActionUpdate,
    PlanGoal,
    PlannedMeeting,
)

__all__ = [
    "ACTION_MAX",
    "CONTRACT_MAX",
    "GOAL_MAX",
    "NOTE_MAX",
    "OPEN_STATUSES",
    "TOPIC_MAX",
    "ActionStatus",
    "Contract",
    "ContractAck",
    "PeriodKind",
    "PlanAction",
    "PlanActionUpdate",
    "PlanGoal",
    "PlannedMeeting",
]
