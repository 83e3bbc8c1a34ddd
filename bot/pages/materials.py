"""The meeting's note page: the meeting, what was already sent from it (the note, files,
links), and for the coordinator, the expert and the team a multi-line form for the note (and
“from the open part” when the meeting had one). The form becomes `/notatka <meeting>
[otwarta] <text>`, so every rule (who, when, to whom) stays in the chat's handler."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.pages.registry import PAGES, Page, PageRequest, long_text
from core import links
from handlers.kit.permissions import Action, allowed
from models import materials as store
from models.enums import Role, Standing
from models.errors import N_
from models.materials import NOTE_MAX, MaterialKind


def view(req: PageRequest) -> dict[str, Any]:
    meeting, network, actor = req.meeting_actor()
    t = req.t
    may = allowed(actor, Action.SHARE_MATERIALS, network_closed=network.closed)
    reads = allowed(actor, Action.READ_MATERIALS, network_closed=network.closed)
    observer = actor.standing is Standing.OBSERVER and actor.roles == {Role.REPRESENTATIVE}
    sent = []
    with req.db.session() as s:
        for m in store.of_meeting(s, meeting.id or 0) if reads else []:
            if observer and not m.open_part:
                continue
            if m.kind == MaterialKind.NOTE:
                label = t("The note")
            elif m.kind == MaterialKind.LINK:
                label = m.description or m.link or ""
            else:
                label = m.file_name or ""
            sent.append(
                {
                    "id": m.id,
                    "label": label,
                    "link": m.link if m.kind == MaterialKind.LINK else None,
                    "body": m.body if m.kind == MaterialKind.NOTE else None,
                    "open": m.open_part,
                    "when": t.short_datetime(m.created_at),
                }
            )
    return {
        "network": network,
        "meeting": meeting,
        "when": t.datetime(meeting.starts_at),
        "may": may,
        "sent": sent,
        "has_open_part": meeting.open_part,
        "text_max": NOTE_MAX,
    }


def form(req: PageRequest, data: Mapping[str, str]) -> str:
    meeting, _network, _actor = req.meeting_actor()
    text = long_text(data, "note", N_("Write the note."), NOTE_MAX)
    opened = "otwarta " if data.get("open") and meeting.open_part else ""
    return f"/notatka {meeting.id} {opened}{text}"


PAGES.add(Page(links.MEETING_NOTE, "materials.html", N_("The meeting's note"), view, form))
