"""What consultations and needs say: the consultation as its audience receives it (also on
joining), the reminder, the coordinator's notice with the collected opinions."""

from __future__ import annotations

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Action as Button
from core.messages import Outgoing
from handlers.kit.labels import STANDING
from models.consultations import Audience, Consultation
from models.core import Network
from models.enums import Standing
from models.errors import N_

AUDIENCE_LABEL = {
    Audience.OBSERVERS: N_("observer cities"),
    Audience.CORE: N_("core cities"),
    Audience.ALL: N_("observer and core cities"),
}
AUDIENCE_WORDS = {
    "obserwatorzy": Audience.OBSERVERS,
    "obserwator": Audience.OBSERVERS,
    "observers": Audience.OBSERVERS,
    "rdzen": Audience.CORE,
    "core": Audience.CORE,
    "wszyscy": Audience.ALL,
    "oba": Audience.ALL,
    "all": Audience.ALL,
    "both": Audience.ALL,
}


def audience_label(t: Translator, audience: str) -> str:
    return t(AUDIENCE_LABEL[Audience(audience)])


def standing_label(t: Translator, standing: str | None) -> str:
    return t(STANDING[Standing(standing)]) if standing else "—"


def content_lines(t: Translator, c: Consultation) -> list[str]:
    lines = []
    if c.body:
        lines += ["", c.body]
    if c.link:
        lines += ["", t("The document: {link}", link=c.link)]
    if c.file_name:
        lines += ["", t("The document is attached: {name}", name=c.file_name)]
    return lines


def invitation(t: Translator, c: Consultation, network: Network, url: str | None) -> Outgoing:
    """The consultation as a person in its audience gets it."""
    lines = [
        t(
            "📝 Consultation #{id} of the network {network}: {title}",
            id=c.id,
            network=network.name,
            title=c.title,
        ),
        *content_lines(t, c),
        "",
        t(
            "Your opinion, please, by {deadline}. Opinions are named (with your city), not "
            "anonymous. Answer: /opinia {id} <your opinion>",
            deadline=t.datetime(c.deadline),
            id=c.id,
        ),
    ]
    buttons = [Button(t("Write my opinion"), f"/opinia {c.id}")]
    if url:
        buttons.append(Button(t("Answer on a page"), f"/opinia {c.id}", url=url))
    return Outgoing("\n".join(lines), actions=tuple(buttons))


def reminder(t: Translator, c: Consultation, network: Network, url: str | None) -> Outgoing:
    buttons = [Button(t("Write my opinion"), f"/opinia {c.id}")]
    if url:
        buttons.append(Button(t("Answer on a page"), f"/opinia {c.id}", url=url))
    return Outgoing(
        t(
            "⏰ Consultation #{id} of the network {network} “{title}” closes {deadline}; "
            "your opinion is not in yet. Answer: /opinia {id} <your opinion>",
            id=c.id,
            network=network.name,
            title=c.title,
            deadline=t.datetime(c.deadline),
        ),
        actions=tuple(buttons),
    )


def summary(t: Translator, s: Session, c: Consultation, asked: int, answered: int) -> str:
    return t(
        "Consultation #{id} “{title}”: opinions from {answered} {of_asked} ({audience}); "
        "deadline {deadline}.",
        id=c.id,
        title=c.title,
        answered=answered,
        of_asked=t.tn("of {n} person asked", "of {n} people asked", asked),
        audience=audience_label(t, c.audience),
        deadline=t.datetime(c.deadline),
    )
