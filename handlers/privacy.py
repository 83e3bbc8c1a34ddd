"""Data protection: a person sees everything stored about them, and can have it erased."""

from __future__ import annotations

import json
import logging

from core.messages import Action as Button
from core.messages import File, Outgoing
from handlers.context import Context
from handlers.membership import private_target
from handlers.registry import REGISTRY
from models import privacy
from models.errors import N_

log = logging.getLogger("empirie.privacy")
CONFIRM_WORDS = ("potwierdzam", "confirm")


@REGISTRY.command("moje_dane", "my_data", summary=N_("everything stored about me, as a file"))
async def my_data(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    with ctx.db.session() as s:
        data = privacy.export(s, me.id or 0)
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    reply = Outgoing(ctx.t("Everything I store about you is in the attached file."),
                     files=(File(f"moje_dane_{me.id}.json", content, "application/json"),))
    if ctx.private:
        return [reply]
    target = private_target(ctx, me)
    if target is None:
        return [Outgoing(ctx.t("Write to me privately and repeat the command there."))]
    return [Outgoing(reply.text, files=reply.files, to=target),
            Outgoing(ctx.t("I sent it to you in a private message."))]


@REGISTRY.command("usun_dane", "delete_my_data", summary=N_("erase my personal data"))
async def delete_my_data(ctx: Context, args: str) -> list[Outgoing]:
    me = ctx.require_person()
    if not ctx.private:  # a destructive confirmation is never offered where others can press
        return [Outgoing(ctx.t("Erasing your data is done in our private chat: write "
                               "/usun_dane to me there."))]
    if args.strip().lower() not in CONFIRM_WORDS:
        return [Outgoing(
            ctx.t("This erases your name, position, e-mail, linked accounts and notes, and I will "
                  "no longer recognise you. Anonymous counts (e.g. how many attended a meeting) "
                  "stay. This cannot be undone. To confirm, type /usun_dane potwierdzam."),
            actions=(Button(ctx.t("Erase my data"), "/usun_dane potwierdzam"),))]
    with ctx.db.session() as s:
        privacy.erase(s, me.id or 0, ctx.now)
    log.info("person.erased person=%s", me.id)
    return [Outgoing(ctx.t("Your personal data has been erased. Goodbye!"))]
