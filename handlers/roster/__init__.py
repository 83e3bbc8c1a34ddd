"""The roster: cities, standings, people and roles, from chat and from the office's sheet.

office: what the office's command line calls (import, export, people, invitations);
chat: the coordinators' chat commands; guide: the same commands asked one field at a time;
sheet: reading and writing the office's file.
"""

from handlers.kit.feature import Feature

FEATURE = Feature("roster", modules=("chat", "guide"))
