"""Files for Teams, both ways.

Out: a channel's files go to its SharePoint folder (GET …/channels/{id}/filesFolder, then the
upload into that folder's drive) and are attached as a reference; a chat's go to the service
account's OneDrive with an organisation view link (Graph cannot attach bytes to a chat
message). Up to 4 MB a file is one PUT …/content; a larger one goes through an upload session
(createUploadSession, then chunks of a multiple of 320 KiB PUT to its pre-authenticated URL
without our token, a throttled chunk sent again after its Retry-After).

In: what a person attached to a message becomes `Incoming.files`, so a guided step waiting
for a file (an announcement's attachment) gets it: files shared from SharePoint/OneDrive are
`reference` attachments, read through GET /shares/{u!…}/driveItem (its size first, then
/content); pictures pasted into the message are hosted contents, read through
…/messages/{id}/hostedContents/{id}/$value. The limit is Telegram's (a bot downloads at most
20 MB there); a larger or unreadable file is refused politely to the person, never dropped
silently."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httpx
from kiota_abstractions.api_error import APIError
from msgraph.generated.drives.item.items.item.create_link.create_link_post_request_body import (
    CreateLinkPostRequestBody,
)
from msgraph.generated.drives.item.items.item.create_upload_session.create_upload_session_post_request_body import (
    CreateUploadSessionPostRequestBody,
)
from msgraph.generated.drives.item.items.item.drive_item_item_request_builder import (
    DriveItemItemRequestBuilder,
)
from msgraph.generated.models.chat_message import ChatMessage
from msgraph.generated.models.drive_item import DriveItem
from msgraph.generated.models.drive_item_uploadable_properties import (
    DriveItemUploadableProperties,
)
from sqlalchemy.exc import IntegrityError

from bot.transports.teams import graph, render
from core.i18n import Translator
from core.messages import File, Outgoing, Target
from core.outbox import enqueue
from models import directory
from models.errors import N_

if TYPE_CHECKING:
    from bot.transports.teams.transport import TeamsTransport
    from models.teams import TeamsSubscription

log = logging.getLogger("empirie.teams")

FOLDER = "empirie-bot"
SIMPLE_UPLOAD_MAX = 4 * 1024 * 1024  # Graph: PUT …/content for files up to 4 MB
CHUNK = 10 * 320 * 1024  # an upload session's chunk: a multiple of 320 KiB (3.125 MiB)
CHUNK_TRIES = 4  # a chunk throttled (429) or refused by a busy service (5xx) is sent again
CHUNK_WAIT_MAX = 30.0  # seconds: a longer Retry-After goes back to the outbox's retry
MAX_INCOMING_BYTES = 20 * 1024 * 1024  # Telegram's: the Bot API's getFile serves up to 20 MB
_HOSTED = re.compile(r"/hostedContents/([^/\"'?<>\s]+)/\$value")
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
        # a request on the channel: paced like the post that follows (Graph counts both)
        channel_folder = client.teams.by_team_id(team).channels.by_channel_id(channel).files_folder
        folder = await transport._read(chat_key, channel_folder.get)
        assert folder is not None and folder.parent_reference is not None
        drive_id, parent = folder.parent_reference.drive_id or "", folder.id or ""
    else:
        drive = await client.me.drive.get()
        assert drive is not None
        drive_id, parent = drive.id or "", f"root:/{FOLDER}"
    for file in files:
        items = client.drives.by_drive_id(drive_id).items
        target = f"{parent}:/{_safe(file.name)}:"
        item = await _put(items.by_drive_item_id(target), file.content)
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


async def _put(builder: DriveItemItemRequestBuilder, content: bytes) -> DriveItem:
    """One PUT up to 4 MB; beyond, an upload session."""
    if len(content) <= SIMPLE_UPLOAD_MAX:
        item = await builder.content.put(content)
        assert item is not None
        return item
    session = await builder.create_upload_session.post(
        CreateUploadSessionPostRequestBody(
            item=DriveItemUploadableProperties(
                additional_data={"@microsoft.graph.conflictBehavior": "replace"}
            )
        )
    )
    assert session is not None and session.upload_url
    return await _chunks(session.upload_url, content)


def _refused(answer: httpx.Response) -> APIError:
    """An upload URL's refusal as the SDK raises Graph's (status and headers for the outbox)."""
    return APIError(
        f"upload session: {answer.status_code}",
        answer.status_code,
        {k: v for k, v in answer.headers.items()},
    )


async def _chunks(url: str, content: bytes) -> DriveItem:
    """The file to the session's URL, chunk after chunk. The URL is pre-authenticated: it is
    sent without our token (Graph refuses one there), so not through the SDK's client."""
    size = len(content)
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0)) as http:
        for start in range(0, size, CHUNK):
            chunk = content[start : start + CHUNK]
            headers = {
                "Content-Range": f"bytes {start}-{start + len(chunk) - 1}/{size}",
                "Content-Length": str(len(chunk)),
                "Content-Type": "application/octet-stream",
            }
            for attempt in range(CHUNK_TRIES):
                answer = await http.put(url, content=chunk, headers=headers)
                busy = answer.status_code == 429 or answer.status_code >= 500
                if not busy or attempt == CHUNK_TRIES - 1:
                    break
                wait = float(answer.headers.get("Retry-After") or 1)
                if wait > CHUNK_WAIT_MAX:
                    break
                log.info("teams.upload_chunk_retry status=%s", answer.status_code)
                await asyncio.sleep(wait)
            if answer.status_code in (200, 201):
                found = answer.json()
                return DriveItem(
                    id=found.get("id"),
                    name=found.get("name"),
                    web_url=found.get("webUrl"),
                    e_tag=found.get("eTag"),
                    size=found.get("size"),
                )
            if answer.status_code != 202:
                raise _refused(answer)
    raise APIError("upload session: not completed", 500, {})


# --- incoming --------------------------------------------------------------------------

TOO_LARGE = N_(
    "The file “{name}” is too large for me ({size} MB; I take at most {limit} MB). Send a "
    "smaller file, or share a link to it in the text."
)
UNREADABLE = N_(
    "I could not open the file “{name}”. Share it with everyone in the chat (or with my "
    "account) and send it again, or share a link to it in the text."
)


class _Refused(Exception):
    def __init__(self, msgid: str, name: str, size: int = 0) -> None:
        super().__init__(msgid)
        self.msgid, self.name, self.size = msgid, name, size


def share_id(url: str) -> str:
    """Graph's id for a sharing URL: "u!" + unpadded base64url of the address."""
    encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    return f"u!{encoded}"


async def incoming_content(
    transport: TeamsTransport, row: TeamsSubscription, message: ChatMessage, mine: set[str]
) -> tuple[str, tuple[File, ...]]:
    """What the person wrote (in the bot's formatting) and the files they attached. A file
    that is too large or cannot be read is refused to the person; the text goes on."""
    body = message.body
    content = (body.content if body else None) or ""
    content_type = str(body.content_type.value) if body and body.content_type else "html"
    text = render.teams_markdown(content, content_type, mine)
    files: list[File] = []
    refused: list[_Refused] = []
    for attachment in message.attachments or []:
        if (attachment.content_type or "").lower() != "reference" or not attachment.content_url:
            continue  # cards, quoted messages: not files
        name = attachment.name or "plik"
        try:
            files.append(await _shared_file(transport, attachment.content_url, name))
        except _Refused as refusal:
            refused.append(refusal)
    hosted = list(dict.fromkeys(unquote(m) for m in _HOSTED.findall(content)))
    for number, hosted_id in enumerate(hosted, start=1):
        try:
            files.append(await _hosted_file(transport, row.chat_id, message, hosted_id, number))
        except _Refused as refusal:
            refused.append(refusal)
    if refused:
        _tell(transport, row, message, refused)
    return text, tuple(files)


def _passes_on(error: BaseException) -> bool:
    """Throttling and a lost sign-in are the caller's to handle (retry, report)."""
    return isinstance(error, graph.LoginLost) or graph.status_code(error) == 429


async def _shared_file(transport: TeamsTransport, url: str, name: str) -> File:
    shared = transport.client.shares.by_shared_drive_item_id(share_id(url)).drive_item
    try:
        item = await shared.get()
        size = (item.size if item else None) or 0
        if size > MAX_INCOMING_BYTES:
            raise _Refused(TOO_LARGE, name, size)
        data = await shared.content.get()
    except _Refused:
        raise
    except Exception as error:
        if _passes_on(error):
            raise
        log.warning("teams.file_unreadable kind=reference status=%s", graph.status_code(error))
        raise _Refused(UNREADABLE, name) from error
    if data is None:
        raise _Refused(UNREADABLE, name)
    if len(data) > MAX_INCOMING_BYTES:
        raise _Refused(TOO_LARGE, name, len(data))
    mime = (item.file.mime_type if item and item.file else None) or "application/octet-stream"
    return File((item.name if item else None) or name, bytes(data), mime)


_PICTURES = (
    (b"\x89PNG", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"GIF8", "gif", "image/gif"),
    (b"RIFF", "webp", "image/webp"),
)


async def _hosted_file(
    transport: TeamsTransport, chat_key: str, message: ChatMessage, hosted_id: str, number: int
) -> File:
    messages = transport._messages(chat_key)
    if message.reply_to_id and "/" in chat_key:  # a reply in a channel thread
        item = messages.by_chat_message_id(message.reply_to_id).replies.by_chat_message_id1(
            message.id or ""
        )
    else:
        item = messages.by_chat_message_id(message.id or "")
    name = f"obraz-{number}"
    try:
        data = await item.hosted_contents.by_chat_message_hosted_content_id(hosted_id).content.get()
    except Exception as error:
        if _passes_on(error):
            raise
        log.warning("teams.file_unreadable kind=hosted status=%s", graph.status_code(error))
        raise _Refused(UNREADABLE, name) from error
    if not data:
        raise _Refused(UNREADABLE, name)
    if len(data) > MAX_INCOMING_BYTES:
        raise _Refused(TOO_LARGE, name, len(data))
    extension, mime = next(
        ((e, m) for magic, e, m in _PICTURES if data.startswith(magic)), ("bin", "")
    )
    return File(f"{name}.{extension}", bytes(data), mime or "application/octet-stream")


def _megabytes(size: int) -> int:
    return -(-size // (1024 * 1024))  # whole megabytes, rounded up


def _tell(
    transport: TeamsTransport, row: TeamsSubscription, message: ChatMessage, refused: list[_Refused]
) -> None:
    """Each refused file, said once to the person where they wrote (in their language)."""
    router = transport.router
    sender = message.from_.user.id if message.from_ and message.from_.user else None
    digest = hashlib.sha1(row.chat_id.encode()).hexdigest()[:16]
    with router.db.session() as s:
        person = (
            directory.person_by_account(s, transport.platform, sender or "") if sender else None
        )
        language = (person.language if person else None) or transport.settings.default_language
        t = Translator(language, transport.settings.tz)
        for index, refusal in enumerate(refused):
            notice = t(
                refusal.msgid,
                name=refusal.name,
                size=_megabytes(refusal.size),
                limit=_megabytes(MAX_INCOMING_BYTES),
            )
            try:
                with s.begin_nested():  # a message read twice is answered once
                    enqueue(
                        s,
                        Target(transport.platform, row.chat_id),
                        Outgoing(notice),
                        router.clock.now(),
                        person_id=person.id if person else None,
                        kind="file_refused",
                        dedupe_key=f"teams_file:{digest}:{message.id}:{index}",
                    )
            except IntegrityError:
                continue
            log.info("teams.file_refused reason=%s", "size" if refusal.size else "unreadable")
    router.wake_outbox()
