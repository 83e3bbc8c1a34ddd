"""Announcements: coordinators broadcast to one, several or all networks, through the outbox.

flow: the guided /ogloszenie up to the preview; commands: confirm, cancel, list, report;
render: what the recipients and the author read (also sent by jobs/announcements.py).
"""

from handlers.kit.feature import Feature

FEATURE = Feature("announcements", modules=("flow", "commands"), jobs=True)
