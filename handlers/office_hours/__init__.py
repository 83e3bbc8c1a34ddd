"""The expert's office hours: series, sessions, bookings, the waitlist and offers."""

from handlers.kit.feature import Feature

FEATURE = Feature("office_hours", modules=("commands",), jobs=True, pages=True)
