"""Files for Teams: a channel's files go to its SharePoint folder and are attached as a
reference; a chat's go to the service account's OneDrive with an organisation view link
(Graph cannot attach bytes to a chat message)."""

from __future__ import annotations

import html
import re
import uuid
from typing import TYPE_CHECKING, Any

from msgraph.generated.drives.item.items.item.create_link.create_link_post_request_body import (
    CreateLinkPostRequestBody,
)

from core.messages import File

if TYPE_CHECKING:
    from bot.transports.teams.transport import TeamsTransport

FOLDER = "empirie-bot"
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|#%]', "_", name) or "plik"


async def upload(
    transport: TeamsTransport, chat_key: str, files: list[File]
) -> tuple[str, list[dict[str, Any]]]:
    """Upload each file; returns HTML to append and the message's reference attachments."""
    client = transport.client
    parts: list[str] = []
    attachments: list[dict[str, Any]] = []
    if "/" in chat_key:
        team, channel = chat_key.split("/", 1)
        folder = (
            await client.teams.by_team_id(team).channels.by_channel_id(channel).files_folder.get()
        )
        assert folder is not None and folder.parent_reference is not None
        drive_id, parent = folder.parent_reference.drive_id or "", folder.id or ""
    else:
        drive = await client.me.drive.get()
        assert drive is not None
        drive_id, parent = drive.id or "", f"root:/{FOLDER}"
    for file in files:
        items = client.drives.by_drive_id(drive_id).items
        target = f"{parent}:/{_safe(file.name)}:"
        item = await items.by_drive_item_id(target).content.put(file.content)
        assert item is not None
        if "/" in chat_key:
            match = _GUID.search(item.e_tag or "")
            attachment_id = match.group(0) if match else str(uuid.uuid4())
            attachments.append(
                {
                    "id": attachment_id,
                    "contentType": "reference",
                    "contentUrl": item.web_url,
                    "name": file.name,
                }
            )
            parts.append(f'<attachment id="{attachment_id}"></attachment>')
        else:
            link = await items.by_drive_item_id(item.id or "").create_link.post(
                CreateLinkPostRequestBody(type="view", scope="organization")
            )
            url = link.link.web_url if link and link.link else item.web_url
            parts.append(
                f'<p>📎 <a href="{html.escape(url or "", quote=True)}">'
                f"{html.escape(file.name)}</a></p>"
            )
    return "".join(parts), attachments
