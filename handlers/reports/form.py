"""The report form's sections — what the coordinator writes after each meeting — as ZMP's
coordinating team predefines them: `/raport_formularz` shows them, `/raport_formularz
<title>; <title>; …` sets them, `/raport_formularz domyślny` goes back to the default ones.
A report keeps the sections it was started with."""

from __future__ import annotations

from sqlmodel import Session

from core.i18n import Translator
from core.messages import Outgoing
from handlers.kit.args import Text, Words
from handlers.kit.context import Context
from handlers.kit.dates import fold
from handlers.kit.limits import check_text
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from models import audit
from models import reports as store
from models.errors import N_, DomainError
from models.reports import MAX_SECTIONS, TITLE_MAX

DEFAULT = (
    N_("Course of the meeting"),
    N_("Conclusions"),
    N_("Recommendations"),
    N_("Next steps"),
)
RESET_WORDS = {"domyslny", "domyslne", "default"}


def titles(s: Session, t: Translator) -> list[str]:
    """The form's section titles now (the default ones in the reader's language)."""
    found = store.form(s)
    if found is not None and found.sections:
        return list(found.sections)
    return [t(title) for title in DEFAULT]


def parse_titles(text: str) -> list[str]:
    found = [check_text(part.strip(), TITLE_MAX, "title") for part in text.split(";")]
    found = [title for title in found if title]
    if not found:
        raise DomainError(N_("Give the sections' titles, separated by “;”."))
    if len(found) > MAX_SECTIONS:
        raise DomainError(N_("At most {count} sections, please."), count=MAX_SECTIONS)
    if len({fold(title) for title in found}) != len(found):
        raise DomainError(N_("Two sections have the same title."))
    return found


def _shown(t: Translator, found: list[str], custom: bool) -> str:
    lines = [
        t("The coordinator's report form has these sections to write:")
        if custom
        else t("The coordinator's report form has the default sections to write:")
    ]
    lines += [f"{n}. {title}" for n, title in enumerate(found, 1)]
    lines.append(
        t(
            "Above them the bot fills in what it knows: attendance by city and standing, "
            "feedback, office hours, funding reviewed and the work plan's actions."
        )
    )
    return "\n".join(lines)


@REGISTRY.command(
    "raport_formularz",
    "report_form",
    summary=N_("the sections of the coordinator's report form (set by the coordinating team)"),
    args=Words(Text("sections", optional=True, limit=2000, label=N_("title; title; …"))),
    example="/raport_formularz Przebieg spotkania; Wnioski; Rekomendacje; Kolejne kroki",
    action=(Action.MANAGE_REPORT_FORM, Action.WRITE_REPORT),
    private=True,
)
async def report_form(ctx: Context, sections: str | None) -> list[Outgoing]:
    me = ctx.require_person()
    if sections is None:
        with ctx.db.session() as s:
            custom = store.form(s) is not None
            return [Outgoing(_shown(ctx.t, titles(s, ctx.t), custom))]
    if not ctx.can_anywhere(Action.MANAGE_REPORT_FORM):
        raise DomainError(N_("The report form is set by the coordinating team."))
    chosen = None if fold(sections) in RESET_WORDS else parse_titles(sections)
    with ctx.db.session() as s:
        store.set_form(s, chosen, me.id, ctx.now)
        audit.record(s, ctx.now, me.id, "report_form.set", "report_form")
        shown = _shown(ctx.t, chosen or [ctx.t(title) for title in DEFAULT], chosen is not None)
    return [
        Outgoing(
            ctx.t("Saved. Reports started from now on use this form; drafts keep theirs.")
            + "\n"
            + shown
        )
    ]
