"""The meeting's note page: the meeting, what was already sent from it (the note, files,
links), and for the coordinator, the expert and the team a multi-line form for the note (and
“from the open part” when the meeting had one). The form becomes `/notatka <meeting>
[otwarta] <text>`, so every rule (who, when, to whom) stays in the chat's handler."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.pages.registry import PAGES, FormError, Page, PageRequest
from core import links
from handlers.kit.permissions import Action, Actor, allowed
from models import directory
from models import materials as store
from models.core import Network
from models.enums import Role, Standing
from models.errors import N_
from models.materials import NOTE_MAX, MaterialKind
from models.meetings import Meeting

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]+")  # newlines stay: paragraphs


def _load(req: PageRequest) -> tuple[Meeting, Network, Actor]:
    with req.db.session() as s:
        meeting = s.get(Meeting, req.int_param("meeting"))
        if meeting is None:
            raise LookupError("meeting")
        network = s.get(Network, meeting.network_id)
        assert network is not None
        actor = Actor(
            directory.roles_of(s, req.person.id or 0, network.id),
            directory.standing_of(s, req.person.city_id, network.id),
        )
    return meeting, network, actor


def view(req: PageRequest) -> dict[str, Any]:
    meeting, network, actor = _load(req)
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
    meeting, _network, _actor = _load(req)
    text = _CONTROL.sub(" ", data.get("note", "").replace("\r\n", "\n")).strip()
    if not text:
        raise FormError(N_("Write the note."), field="note")
    if len(text) > NOTE_MAX:
        raise FormError(N_("Please keep it under {max} characters."), field="note", max=NOTE_MAX)
    opened = "otwarta " if data.get("open") and meeting.open_part else ""
    return f"/notatka {meeting.id} {opened}{text}"


PAGES.add(Page(links.MEETING_NOTE, "materials.html", N_("The meeting's note"), view, form))
