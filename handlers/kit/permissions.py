"""Who may do what: the one rule table (role × city standing × action), enforced here only.

A representative's rights depend on their city's standing in the network; staff roles do not
have a standing. A known person with no role in a network is a guest: guests may read open
networks and nothing else. The leaders' network is closed: guests get nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.enums import Role, Standing


class Action(StrEnum):
    READ = "read"  # help, network info, meetings, funding calls, results
    GIVE_OPINION = "give_opinion"  # feedback polls, reporting needs
    RSVP_ONLINE = "rsvp_online"
    RSVP_IN_PERSON = "rsvp_in_person"
    CHECK_IN = "check_in"
    BOOK_OFFICE_HOURS = "book_office_hours"
    MANAGE_MEETINGS = "manage_meetings"
    VIEW_ATTENDANCE = "view_attendance"
    MANAGE_ATTENDANCE = "manage_attendance"  # check others in, export signing sheets
    MANAGE_OFFICE_HOURS = "manage_office_hours"
    MANAGE_FUNDING = "manage_funding"
    VIEW_REPORTS = "view_reports"
    MANAGE_POLLS = "manage_polls"  # feedback questions, surveys, ad-hoc polls
    ANNOUNCE = "announce"  # to this network
    ANNOUNCE_ALL = "announce_all"  # to several or all networks
    BIND_CHAT = "bind_chat"
    INVITE = "invite"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_PLAN = "manage_plan"  # the work plan: goals, calendar, actions, the contract
    ACCEPT_CONTRACT = "accept_contract"  # acknowledge the network's contract for one's city
    SHARE_MATERIALS = "share_materials"  # a meeting's note and materials, sent after it
    READ_MATERIALS = "read_materials"  # the network's archive (observers: the open parts')
    WRITE_REPORT = "write_report"  # the coordinator's report after a meeting: write, submit
    MANAGE_REPORT_FORM = "manage_report_form"  # the report form's sections (ZMP's form)
    VIEW_SUMMARY = "view_summary"  # the programme's periodic summary for ZMP's leadership
    VIEW_AUDIT = "view_audit"  # the audit log of the network's changes (the staff desk)


class Guest(StrEnum):
    GUEST = "guest"


GUEST = Guest.GUEST
CORE = frozenset({Standing.LAUREATE, Standing.FINALIST, Standing.CHANGE_LEADER})
EVERY = CORE | {Standing.OBSERVER}
ANY = None  # staff roles: no standing involved

_R, _C, _E, _O, _T = (
    Role.REPRESENTATIVE,
    Role.COORDINATOR,
    Role.EXPERT,
    Role.ORGANISER,
    Role.COORDINATING_TEAM,
)
Grant = dict[Role | Guest, frozenset[Standing] | None]

RULES: dict[Action, Grant] = {
    Action.READ: {_R: EVERY, _C: ANY, _E: ANY, _O: ANY, _T: ANY, GUEST: ANY},
    Action.GIVE_OPINION: {_R: EVERY},
    Action.RSVP_ONLINE: {_R: EVERY},
    Action.RSVP_IN_PERSON: {_R: CORE},
    Action.CHECK_IN: {_R: CORE},
    Action.BOOK_OFFICE_HOURS: {_R: CORE},
    Action.MANAGE_MEETINGS: {_C: ANY, _T: ANY},
    Action.VIEW_ATTENDANCE: {_C: ANY, _E: ANY, _O: ANY, _T: ANY},
    Action.MANAGE_ATTENDANCE: {_C: ANY, _O: ANY, _T: ANY},
    Action.MANAGE_OFFICE_HOURS: {_C: ANY, _E: ANY, _T: ANY},
    Action.MANAGE_FUNDING: {_C: ANY, _E: ANY, _T: ANY},
    Action.VIEW_REPORTS: {_C: ANY, _E: ANY, _T: ANY},
    Action.MANAGE_POLLS: {_C: ANY, _T: ANY},
    Action.ANNOUNCE: {_C: ANY, _T: ANY},
    Action.ANNOUNCE_ALL: {_T: ANY},
    Action.BIND_CHAT: {_C: ANY, _T: ANY},
    Action.INVITE: {_C: ANY, _T: ANY},
    Action.MANAGE_MEMBERS: {_C: ANY, _T: ANY},
    Action.MANAGE_PLAN: {_C: ANY, _T: ANY},
    Action.ACCEPT_CONTRACT: {_R: EVERY},
    Action.SHARE_MATERIALS: {_C: ANY, _E: ANY, _T: ANY},
    Action.READ_MATERIALS: {_R: EVERY, _C: ANY, _E: ANY, _O: ANY, _T: ANY},
    Action.WRITE_REPORT: {_C: ANY, _T: ANY},
    Action.MANAGE_REPORT_FORM: {_T: ANY},
    Action.VIEW_SUMMARY: {_T: ANY},
    Action.VIEW_AUDIT: {_C: ANY, _T: ANY},
}


def holders(action: Action) -> list[Role]:
    """The roles that may do `action` somewhere (for telling a refused person who may)."""
    return [role for role in RULES[action] if isinstance(role, Role)]


@dataclass(frozen=True)
class Actor:
    """A person as seen from one network."""

    roles: frozenset[Role]
    standing: Standing | None = None


def allowed(actor: Actor, action: Action, *, network_closed: bool) -> bool:
    if network_closed and not actor.roles:
        return False
    if network_closed and actor.standing is Standing.OBSERVER and actor.roles == {_R}:
        return False  # the leaders' network is closed: an observer city has no place there
    grant = RULES[action]
    for role in actor.roles or {GUEST}:
        if role not in grant:
            continue
        standings = grant[role]
        if standings is ANY or (actor.standing is not None and actor.standing in standings):
            return True
    return False
