"""Meetings: creation, RSVPs, reminders, attendance lists and calendar invitations."""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "meetings", modules=("commands",), jobs=True, pages=True, lazy=("calendar_answers",)
)
