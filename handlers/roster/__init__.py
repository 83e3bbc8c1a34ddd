"""The roster: cities, standings, people and roles, from chat and from the office's sheet."""

from handlers.kit.feature import Feature

FEATURE = Feature("roster", modules=("commands",))
