"""A network's archive of meeting notes and materials: /materialy lists it newest first, a
page at a time (privately); /material_pokaz gives one again (the note's text, the file).
Observer cities see the open parts' materials only, as they got them."""

from __future__ import annotations

from core.messages import Action as Button
from core.messages import File, Outgoing
from handlers.kit.args import Code, Count, Id, Words
from handlers.kit.context import Context
from handlers.kit.objects import fetch
from handlers.kit.permissions import Action
from handlers.kit.registry import REGISTRY
from handlers.materials import render
from models import directory
from models import materials as store
from models.blobs import Blob
from models.core import Network
from models.enums import Role, Standing
from models.errors import N_, DomainError
from models.materials import Material
from models.meetings import Meeting

PAGE = 10
MISSING = N_("There is no material with the number “{id}”.")


def open_only(ctx: Context, network: Network) -> bool:
    """Observer cities' people see the open parts' materials only."""
    actor = ctx.actor(network)
    return actor.standing is Standing.OBSERVER and actor.roles == {Role.REPRESENTATIVE}


@REGISTRY.command(
    "materialy",
    "materials",
    summary=N_("the network's archive of meeting notes and materials, newest first"),
    args=Words(Code("network", optional=True), Count("page", optional=True, low=1, high=10_000)),
    usage=N_("[network] [page]"),
    example="/materialy cyfrowe",
    action=Action.READ_MATERIALS,
    private=True,
)
async def listing(ctx: Context, network: str | None, page: int | None) -> list[Outgoing]:
    where = ctx.target_network(network)
    ctx.require(Action.READ_MATERIALS, where)
    number = page or 1
    with ctx.db.session() as s:
        rows, total = store.of_network(
            s,
            where.id or 0,
            open_only=open_only(ctx, where),
            offset=(number - 1) * PAGE,
            limit=PAGE,
        )
        lines = [render.line(ctx.t, m, meeting) for m, meeting in rows]
    pages = max(1, -(-total // PAGE))
    head = ctx.t("Notes and materials of the network {network} (newest first):", network=where.name)
    if total == 0:
        return [Outgoing(head + "\n" + ctx.t("none yet"))]
    if not lines:
        raise DomainError(N_("There are only {pages} pages."), pages=pages)
    if pages > 1:
        head += " " + ctx.t("page {page} of {pages}", page=number, pages=pages)
    buttons = []
    if number > 1:
        buttons.append(Button(ctx.t("Newer"), f"/materialy {where.code} {number - 1}"))
    if number < pages:
        buttons.append(Button(ctx.t("Older"), f"/materialy {where.code} {number + 1}"))
    return [Outgoing("\n".join([head, *lines]), actions=tuple(buttons))]


@REGISTRY.command(
    "material_pokaz",
    "material_show",
    summary=N_("a material from the network's archive again: the note's text, the file"),
    args=Words(Id("material")),
    usage=N_("<material>"),
    example="/material_pokaz 4",
    action=Action.READ_MATERIALS,
    private=True,
)
async def show(ctx: Context, material: int) -> list[Outgoing]:
    with ctx.db.session() as s:
        m, network = fetch(ctx, s, Material, str(material), Action.READ_MATERIALS, MISSING)
        if open_only(ctx, network) and not m.open_part:
            raise DomainError(MISSING, id=material)
        meeting = s.get(Meeting, m.meeting_id)
        assert meeting is not None
        sender = directory.display_names(s, [m.created_by or 0]).get(m.created_by or 0)
        message = render.material(ctx.t, m, meeting, network, sender)
        blob = s.get(Blob, m.blob_id) if m.blob_id else None
        files = (File(blob.name, bytes(blob.content), blob.mime),) if blob else ()
    return [Outgoing(message.text, files=files)]
