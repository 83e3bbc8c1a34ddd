"""Human names of the domain vocabulary (catalogue ids)."""

from __future__ import annotations

from models.enums import Role, Standing
from models.errors import N_

ROLE = {
    Role.REPRESENTATIVE: N_("representative"),
    Role.COORDINATOR: N_("coordinator-facilitator"),
    Role.EXPERT: N_("expert-moderator"),
    Role.ORGANISER: N_("organiser"),
    Role.COORDINATING_TEAM: N_("coordinating team"),
}

STANDING = {
    Standing.LAUREATE: N_("laureate"),
    Standing.FINALIST: N_("finalist"),
    Standing.CHANGE_LEADER: N_("change leader"),
    Standing.OBSERVER: N_("observer"),
}
