"""The expert's office hours: series, sessions, bookings, the waitlist and offers.

cities (what cities type), staff (the expert and the coordinator on sessions), series
(defining and changing a series), report (the report's section and a session's summary);
render holds the messages commands and jobs both send, access who may act on a session,
calendar the .ics of a booking."""

from handlers.kit.feature import Feature

FEATURE = Feature(
    "office_hours",
    modules=("cities", "staff", "series", "report", "render", "access", "calendar"),
    jobs=True,
    pages=True,
)
