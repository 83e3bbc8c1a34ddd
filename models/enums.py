"""Vocabulary of the EMPIRIE world (DESIGN.md §1), shared by models and handlers."""

from __future__ import annotations

from enum import StrEnum


class Standing(StrEnum):
    """A city's standing in one network."""

    LAUREATE = "laureat"
    FINALIST = "finalista"
    CHANGE_LEADER = "lider_zmian"
    OBSERVER = "obserwator"

    @property
    def is_core(self) -> bool:
        return self is not Standing.OBSERVER


class Role(StrEnum):
    REPRESENTATIVE = "representative"
    COORDINATOR = "coordinator"
    EXPERT = "expert"
    ORGANISER = "organiser"
    COORDINATING_TEAM = "coordinating_team"  # global: above all networks


class Office(StrEnum):
    """What a person's position is, as far as admission rules care."""

    MAYOR = "mayor"  # burmistrz / wójt
    CITY_PRESIDENT = "city_president"  # prezydent miasta
    DEPUTY = "deputy"  # zastępca burmistrza / prezydenta
    OFFICIAL = "official"  # anyone else: head of department, specialist, staff

    @property
    def may_lead(self) -> bool:
        return self is not Office.OFFICIAL


class Platform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    TEAMS = "teams"
