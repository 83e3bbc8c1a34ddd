"""What a material says when it is delivered (and shown again from the archive), and its line
in the archive."""

from __future__ import annotations

from core.i18n import Translator
from core.messages import Outgoing
from models.core import Network
from models.materials import Material, MaterialKind
from models.meetings import Meeting


def header(t: Translator, meeting: Meeting, network: Network) -> str:
    return t(
        "#{id} “{title}” ({network}, {date})",
        id=meeting.id,
        title=meeting.title,
        network=network.name,
        date=t.date(meeting.starts_at),
    )


def material(
    t: Translator, m: Material, meeting: Meeting, network: Network, sender: str | None
) -> Outgoing:
    """One material as those who took part get it (the file itself travels with it)."""
    lines = []
    if m.kind == MaterialKind.NOTE:
        lines.append(t("📝 The note from meeting {meeting}:", meeting=header(t, meeting, network)))
        lines += ["", m.body or ""]
    elif m.kind == MaterialKind.LINK:
        lines.append(t("🔗 Material from meeting {meeting}:", meeting=header(t, meeting, network)))
        lines += ["", f"{m.description}: {m.link}" if m.description else m.link or ""]
    else:
        lines.append(t("📄 Material from meeting {meeting}:", meeting=header(t, meeting, network)))
        shown = f"{m.file_name} — {m.description}" if m.description else m.file_name or ""
        lines += ["", t("{name} (attached)", name=shown)]
    lines.append("")
    if m.open_part:
        lines.append(t("From the meeting's open part."))
    if sender:
        lines.append(t("Sent by {name}.", name=sender))
    lines.append(t("The network's archive: /materialy {code}", code=network.code))
    return Outgoing("\n".join(lines))


def line(t: Translator, m: Material, meeting: Meeting) -> str:
    """A material in the archive: when, from which meeting, what, and how to get it again."""
    when = t.local(m.created_at).strftime("%d.%m.%Y")
    source = t("meeting #{id} “{title}”", id=meeting.id, title=meeting.title)
    if m.kind == MaterialKind.NOTE:
        what = t.tn("the note ({n} character)", "the note ({n} characters)", len(m.body or ""))
    elif m.kind == MaterialKind.LINK:
        what = f"{m.description}: {m.link}" if m.description else m.link or ""
    else:
        what = f"{m.file_name} — {m.description}" if m.description else m.file_name or ""
    opened = " " + t("(open part)") if m.open_part else ""
    again = "" if m.kind == MaterialKind.LINK else f" — /material_pokaz {m.id}"
    return f"#{m.id} {when} · {source}{opened} — {what}{again}"
