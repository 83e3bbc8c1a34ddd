"""Meetings: creation, RSVPs, reminders, attendance lists and calendar invitations.

create (a coordinator's: new, change, move, cancel), rsvp (a representative's answers),
attendance (overview, check-in, the signing sheet); render holds the messages commands and
jobs both send, invitations who gets them."""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "meetings",
    modules=("create", "rsvp", "attendance"),
    jobs=True,
    pages=True,
    lazy=("calendar_answers",),
)
