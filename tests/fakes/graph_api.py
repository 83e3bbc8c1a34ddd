"""A local Microsoft Graph over real HTTP, for the real msgraph-sdk client.

Serves what the Teams transport uses, in the JSON shapes of the Graph documentation:
/me, /users/{id}, channel and chat messages, 1:1 chats, subscriptions (validated against the
bot's endpoint as Graph does: POST ?validationToken=… must echo it as text/plain), calendar
events with attendees' responses, and drive uploads. Records every call; fails on demand
(429 with Retry-After, 5xx, 404, 401).
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import web

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_USER = "b0000000-0000-4000-8000-000000000001"


@dataclass
class Call:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    method: str
    path_contains: str
    status: int = 429
    times: int = 1
    retry_after: int = 1


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeGraph:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.users: dict[str, dict[str, Any]] = {
            BOT_USER: {
                "id": BOT_USER,
                "displayName": "EMPIRIE Bot",
                "userPrincipalName": "empirie-bot@zmp.example.org",
                "mail": "empirie-bot@zmp.example.org",
            }
        }
        self.messages: dict[str, list[dict[str, Any]]] = {}  # container key -> messages
        self.chats: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.drive_items: dict[str, dict[str, Any]] = {}
        self.drive_content: dict[str, bytes] = {}
        self.validation_answers: list[tuple[int, str, str]] = []
        self.query_log: list[dict[str, str]] = []  # query strings of message-list reads
        self.pinned: list[tuple[str, str]] = []  # (chat id, message id)
        self._ids = itertools.count(1_700_000_000_000)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- server ----------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/v1.0/{path:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1.0"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- helpers for tests -------------------------------------------------------------
    def add_user(
        self, user_id: str, name: str, mail: str | None = None, upn: str | None = None
    ) -> dict[str, Any]:
        self.users[user_id] = {
            "id": user_id,
            "displayName": name,
            "mail": mail,
            "userPrincipalName": upn or mail or f"{user_id}@example.org",
        }
        return self.users[user_id]

    def add_group_chat(self, chat_id: str, topic: str, members: list[str]) -> None:
        self.chats[chat_id] = {
            "id": chat_id,
            "chatType": "group",
            "topic": topic,
            "members": [BOT_USER, *members],
            "createdDateTime": iso(datetime.now(UTC)),
        }

    def user_opens_chat(self, user_id: str) -> str:
        """A person starts a 1:1 chat with the bot's account (e.g. from an invitation link)."""
        chat_id = f"19:{BOT_USER}_{user_id}@unq.gbl.spaces"
        self.chats[chat_id] = {
            "id": chat_id,
            "chatType": "oneOnOne",
            "topic": None,
            "members": sorted([BOT_USER, user_id]),
            "createdDateTime": iso(datetime.now(UTC)),
        }
        return chat_id

    def user_message(
        self,
        container: str,
        user_id: str,
        html: str,
        *,
        mention_bot: bool = False,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A message typed by a member (stored; the test then notifies the bot)."""
        user = self.users[user_id]
        mentions = []
        if mention_bot:
            html = f'<at id="0">EMPIRIE Bot</at> {html}'
            mentions = [
                {
                    "id": 0,
                    "mentionText": "EMPIRIE Bot",
                    "mentioned": {
                        "user": {
                            "id": BOT_USER,
                            "displayName": "EMPIRIE Bot",
                            "userIdentityType": "aadUser",
                        }
                    },
                }
            ]
        return self._store(
            container,
            {
                "messageType": "message",
                "from": {
                    "user": {
                        "id": user_id,
                        "displayName": user["displayName"],
                        "userIdentityType": "aadUser",
                        "tenantId": TENANT,
                    },
                    "application": None,
                },
                "body": {"contentType": "html", "content": f"<p>{html}</p>"},
                "mentions": mentions,
                "attachments": [],
            },
            at,
        )

    def _store(
        self, container: str, message: dict[str, Any], at: datetime | None = None
    ) -> dict[str, Any]:
        message = {
            "id": str(next(self._ids)),
            "replyToId": None,
            "etag": "1",
            "createdDateTime": iso(at or datetime.now(UTC)),
            **message,
        }
        if container.startswith("chats/"):
            message["chatId"] = container.split("/")[1]
        else:
            parts = container.split("/")
            message["channelIdentity"] = {"teamId": parts[1], "channelId": parts[3]}
            if len(parts) == 7:
                message["replyToId"] = parts[5]
        self.messages.setdefault(container, []).append(message)
        return message

    def sent(self, container: str) -> list[dict[str, Any]]:
        """Messages the bot posted there."""
        return [
            m
            for m in self.messages.get(container, [])
            if (m.get("from") or {}).get("user", {}).get("id") == BOT_USER
        ]

    def requests(self, method: str, contains: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and contains in c.path]

    def notification(
        self, subscription_id: str, container: str, message_id: str, client_state: str
    ) -> dict[str, Any]:
        """A change notification as Graph posts it (no resource data: ids only)."""
        parts = container.split("/")
        if container.startswith("chats/"):
            resource = f"chats('{parts[1]}')/messages('{message_id}')"
        elif len(parts) == 7:  # a reply in a thread: …/messages/{parent}/replies
            resource = (
                f"teams('{parts[1]}')/channels('{parts[3]}')/messages('{parts[5]}')"
                f"/replies('{message_id}')"
            )
        else:
            resource = f"teams('{parts[1]}')/channels('{parts[3]}')/messages('{message_id}')"
        sub = self.subscriptions[subscription_id]
        return {
            "value": [
                {  # (a thread reply notifies the channel's subscription)
                    "subscriptionId": subscription_id,
                    "changeType": "created",
                    "clientState": client_state,
                    "tenantId": TENANT,
                    "subscriptionExpirationDateTime": sub["expirationDateTime"],
                    "resource": resource,
                    "resourceData": {
                        "id": message_id,
                        "@odata.type": "#Microsoft.Graph.chatMessage",
                        "@odata.id": resource,
                    },
                }
            ]
        }

    def lifecycle(self, subscription_id: str, event: str, client_state: str) -> dict[str, Any]:
        sub = self.subscriptions.get(subscription_id, {})
        return {
            "value": [
                {
                    "subscriptionId": subscription_id,
                    "lifecycleEvent": event,
                    "clientState": client_state,
                    "tenantId": TENANT,
                    "subscriptionExpirationDateTime": sub.get("expirationDateTime"),
                }
            ]
        }

    def subscription_for(self, resource: str) -> dict[str, Any] | None:
        return next((s for s in self.subscriptions.values() if s["resource"] == resource), None)

    def respond(self, event_id: str, email: str, response: str) -> None:
        """An attendee answers the calendar invitation in Outlook/Teams."""
        for attendee in self.events[event_id]["attendees"]:
            if attendee["emailAddress"]["address"].lower() == email.lower():
                attendee["status"] = {"response": response, "time": iso(datetime.now(UTC))}
                return
        raise KeyError(email)

    # --- dispatch ----------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = unquote(request.match_info["path"])
        raw = await request.read()
        body: Any = None
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw:
            body = raw
        call = Call(request.method, path, body, dict(request.headers))
        self.calls.append(call)
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and fault.path_contains in path:
                fault.times -= 1
                call.status = fault.status
                return web.json_response(
                    {
                        "error": {
                            "code": "TooManyRequests" if fault.status == 429 else "Fault",
                            "message": "fake fault",
                        }
                    },
                    status=fault.status,
                    headers={"Retry-After": str(fault.retry_after)},
                )
        try:
            response = await self._route(request, path, body)
        except KeyError as missing:
            response = web.json_response(
                {"error": {"code": "NotFound", "message": f"not found: {missing}"}}, status=404
            )
        call.status = response.status
        return response

    async def _route(self, request: web.Request, path: str, body: Any) -> web.StreamResponse:
        parts = path.strip("/").split("/")
        method = request.method
        if parts[0] in ("shares", "_downloads") or "hostedContents" in parts:
            return self._attached_files(request, parts)  # files people attach (end of class)
        if parts[0] == "me" and len(parts) == 1:
            return web.json_response(self.users[BOT_USER])
        if parts[0] == "users" and len(parts) == 2:
            return web.json_response(self.users[parts[1]])
        if parts[0] == "me" and parts[1] == "chats" and method == "GET":
            mine = [self._chat_json(c) for c in self.chats.values() if BOT_USER in c["members"]]
            return web.json_response({"value": mine})
        if parts[0] == "teams" and len(parts) >= 7 and parts[6] == "replies":
            container = "/".join(parts[:7])
            return self._messages(method, container, parts[7:], body, request)
        if parts[0] == "teams" and len(parts) >= 5 and parts[4] == "messages":
            container = "/".join(parts[:5])
            return self._messages(method, container, parts[5:], body, request)
        if parts[0] == "teams" and len(parts) == 5 and parts[4] == "filesFolder":
            folder_id = f"folder-{parts[3]}"
            return web.json_response(
                {"id": folder_id, "name": "General", "parentReference": {"driveId": "drive-team"}}
            )
        if parts[0] == "chats":
            return self._chats(method, parts, body, request)
        if parts[0] == "subscriptions":
            return await self._subscriptions(method, parts, body)
        if parts[0] in ("me", "users") and "events" in parts:
            return self._events(method, parts[parts.index("events") + 1 :], body)
        if parts[0] == "me" and parts[1] == "drive" and len(parts) == 2:
            return web.json_response({"id": "drive-me"})
        if parts[0] == "drives":
            return self._drives(method, parts, body)
        return web.json_response({"error": {"code": "BadRequest", "message": path}}, status=400)

    def _chat_json(self, chat: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": chat["id"],
            "chatType": chat["chatType"],
            "topic": chat.get("topic"),
            "createdDateTime": chat.get("createdDateTime"),
        }

    def _messages(
        self, method: str, container: str, rest: list[str], body: Any, request: web.Request
    ) -> web.Response:
        if method == "POST" and not rest:
            content = body["body"]["content"]
            if len(content.encode()) > 28 * 1024:
                return web.json_response(
                    {"error": {"code": "BadRequest", "message": "too large"}}, status=413
                )
            message = self._store(
                container,
                {
                    "messageType": "message",
                    "from": {
                        "user": {
                            "id": BOT_USER,
                            "displayName": "EMPIRIE Bot",
                            "userIdentityType": "aadUser",
                        },
                        "application": None,
                    },
                    "body": body["body"],
                    "attachments": body.get("attachments") or [],
                    "mentions": body.get("mentions") or [],
                },
            )
            return web.json_response(message, status=201)
        if method == "PATCH" and len(rest) == 1:  # the sender edits its message
            message = next(
                (m for m in self.messages.get(container, []) if m["id"] == rest[0]), None
            )
            if message is None or message["from"]["user"]["id"] != BOT_USER:
                return web.json_response({"error": {"code": "Forbidden"}}, status=403)
            message["body"] = body["body"]
            message["attachments"] = body.get("attachments") or []
            message["lastEditedDateTime"] = iso(datetime.now(UTC))
            message["edits"] = message.get("edits", 0) + 1
            return web.Response(status=204)
        if method == "GET" and rest:
            found = (
                next(m for m in self.messages.get(container, []) if m["id"] == rest[0])
                if any(m["id"] == rest[0] for m in self.messages.get(container, []))
                else None
            )
            if found is None:
                raise KeyError(rest[0])
            return web.json_response(found)
        if method == "GET":
            self.query_log.append(dict(request.query))
            top = int(request.query.get("$top", "50"))
            newest_first = sorted(
                self.messages.get(container, []), key=lambda m: m["createdDateTime"], reverse=True
            )
            return web.json_response({"value": newest_first[:top]})
        raise KeyError(method)

    def _chats(
        self, method: str, parts: list[str], body: Any, request: web.Request
    ) -> web.Response:
        if len(parts) == 1 and method == "POST":
            members = sorted(m["user@odata.bind"].rsplit("'", 2)[1] for m in body["members"])
            for chat in self.chats.values():
                if chat["chatType"] == "oneOnOne" and sorted(chat["members"]) == members:
                    return web.json_response(self._chat_json(chat), status=201)
            other = next(m for m in members if m != BOT_USER)
            chat_id = f"19:{BOT_USER}_{other}@unq.gbl.spaces"
            self.chats[chat_id] = {
                "id": chat_id,
                "chatType": "oneOnOne",
                "topic": None,
                "members": members,
                "createdDateTime": iso(datetime.now(UTC)),
            }
            return web.json_response(self._chat_json(self.chats[chat_id]), status=201)
        chat_id = parts[1]
        if len(parts) == 2:
            return web.json_response(self._chat_json(self.chats[chat_id]))
        if parts[2] == "pinnedMessages" and method == "POST":
            self.pinned.append((chat_id, body["message@odata.bind"].rsplit("/", 1)[1]))
            return web.json_response({"id": "pin"}, status=201)
        if parts[2] == "messages":
            if chat_id not in self.chats:
                raise KeyError(chat_id)
            return self._messages(method, f"chats/{chat_id}/messages", parts[3:], body, request)
        raise KeyError(parts[2])

    async def _subscriptions(self, method: str, parts: list[str], body: Any) -> web.Response:
        if len(parts) == 1 and method == "POST":
            for url in {body["notificationUrl"], body.get("lifecycleNotificationUrl")} - {None}:
                if not await self._validate(url):
                    return web.json_response(
                        {
                            "error": {
                                "code": "InvalidRequest",
                                "message": "Subscription validation request failed.",
                            }
                        },
                        status=400,
                    )
            sub_id = str(uuid.uuid4())
            self.subscriptions[sub_id] = {
                **body,
                "id": sub_id,
                "applicationId": "app",
                "creatorId": BOT_USER,
            }
            return web.json_response(self.subscriptions[sub_id], status=201)
        sub_id = parts[1]
        sub = self.subscriptions[sub_id]
        if len(parts) == 3 and parts[2] == "reauthorize":
            return web.Response(status=204)
        if method == "PATCH":
            sub["expirationDateTime"] = body["expirationDateTime"]
            return web.json_response(sub)
        if method == "DELETE":
            del self.subscriptions[sub_id]
            return web.Response(status=204)
        return web.json_response(sub)

    async def _validate(self, url: str) -> bool:
        token = f"Validation: Testing client application reachability {uuid.uuid4().hex}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url, params={"validationToken": token}, timeout=aiohttp.ClientTimeout(total=10)
            ) as answer,
        ):
            text = await answer.text()
            self.validation_answers.append((answer.status, answer.content_type, text))
            return answer.status == 200 and answer.content_type == "text/plain" and text == token

    def _events(self, method: str, rest: list[str], body: Any) -> web.Response:
        if not rest and method == "POST":
            event_id = f"AAMkAD{uuid.uuid4().hex}"
            for attendee in body.get("attendees", []):
                attendee.setdefault("status", {"response": "none", "time": "0001-01-01T00:00:00Z"})
            self.events[event_id] = {
                **body,
                "id": event_id,
                "isCancelled": False,
                "responseStatus": {"response": "organizer"},
            }
            if body.get("isOnlineMeeting"):
                self.events[event_id]["onlineMeeting"] = {
                    "joinUrl": f"https://teams.microsoft.com/l/meetup-join/{event_id}"
                }
            return web.json_response(self.events[event_id], status=201)
        event = self.events[rest[0]]
        if len(rest) == 2 and rest[1] == "cancel":
            event["isCancelled"] = True
            event["cancelComment"] = (body or {}).get("Comment") or (body or {}).get("comment")
            return web.Response(status=202)
        if method == "PATCH":
            previous = {
                a["emailAddress"]["address"].lower(): a.get("status")
                for a in event.get("attendees", [])
            }
            event.update(body)
            for attendee in event.get("attendees", []):
                attendee["status"] = previous.get(attendee["emailAddress"]["address"].lower()) or {
                    "response": "none",
                    "time": "0001-01-01T00:00:00Z",
                }
            return web.json_response(event)
        return web.json_response(event)

    def _drives(self, method: str, parts: list[str], body: Any) -> web.Response:
        # /drives/{drive}/items/{folder}:/{name}:/content  (the SDK sends it as one segment)
        joined = "/".join(parts)
        if method == "PUT" and joined.endswith("/content"):
            name = joined.rsplit(":/", 1)[0].rsplit("/", 1)[-1].rstrip(":")
            item_id = f"item-{uuid.uuid4().hex[:8]}"
            self.drive_items[item_id] = {
                "id": item_id,
                "name": name,
                "size": len(body or b""),
                "eTag": f'"{{{str(uuid.uuid4()).upper()}}},1"',
                "webUrl": f"https://zmp.sharepoint.com/files/{name}",
            }
            self.drive_content[item_id] = body or b""
            return web.json_response(self.drive_items[item_id], status=201)
        if method == "POST" and parts[-1] == "createLink":
            item = self.drive_items[parts[3]]
            return web.json_response(
                {
                    "id": "perm",
                    "link": {
                        "type": "view",
                        "scope": body.get("scope"),
                        "webUrl": f"https://zmp.sharepoint.com/:b:/s/{item['id']}",
                    },
                },
                status=201,
            )
        raise KeyError(joined)

    # --- files people attach: OneDrive/SharePoint references and hosted contents ----------
    @property
    def shared_files(self) -> dict[str, dict[str, Any]]:
        """Sharing URL -> {"item": driveItem JSON, "content": bytes}."""
        return self.__dict__.setdefault("_shared_files", {})

    @property
    def hosted_contents(self) -> dict[tuple[str, str, str], bytes]:
        """(message container, message id, hosted content id) -> bytes."""
        return self.__dict__.setdefault("_hosted_contents", {})

    def user_message_with_files(
        self,
        container: str,
        user_id: str,
        html: str,
        *,
        shared: tuple[tuple[str, bytes], ...] = (),
        pictures: tuple[bytes, ...] = (),
        size: int | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A message with files as Teams sends it: each `shared` (name, bytes) is a file from
        the sender's OneDrive/SharePoint, a `reference` attachment named in the body by
        <attachment id>; each of `pictures` is pasted into the body as an <img> whose src is
        its hostedContents/{id}/$value. `size` overrides what the drive item reports."""
        message = self.user_message(container, user_id, html, at=at)
        body = message["body"]["content"]
        for name, content in shared:
            attachment_id = str(uuid.uuid4())
            url = f"https://zmp-my.sharepoint.com/personal/{user_id}/Documents/Microsoft Teams Chat Files/{name}"
            self.shared_files[url] = {
                "item": {
                    "id": f"item-{uuid.uuid4().hex[:8]}",
                    "name": name,
                    "size": len(content) if size is None else size,
                    "file": {
                        "mimeType": "application/pdf"
                        if name.endswith(".pdf")
                        else "application/octet-stream"
                    },
                    "webUrl": url,
                },
                "content": content,
            }
            message["attachments"].append(
                {
                    "id": attachment_id,
                    "contentType": "reference",
                    "contentUrl": url,
                    "content": None,
                    "name": name,
                    "thumbnailUrl": None,
                }
            )
            body += f'<attachment id="{attachment_id}"></attachment>'
        for content in pictures:
            hosted_id = base64.urlsafe_b64encode(
                f"id=x_0-{uuid.uuid4().hex},type=1".encode()
            ).decode()
            self.hosted_contents[(container, message["id"], hosted_id)] = content
            src = f"https://graph.microsoft.com/v1.0/{container}/{message['id']}/hostedContents/{hosted_id}/$value"
            body += f'<p><img alt="image" src="{src}" width="250" height="250" itemid="{hosted_id}"></p>'
        message["body"]["content"] = body
        return message

    def _attached_files(self, request: web.Request, parts: list[str]) -> web.StreamResponse:
        if request.method != "GET":
            raise KeyError(request.method)
        if parts[0] == "_downloads":  # the pre-authenticated download address
            url = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
            return web.Response(
                body=self.shared_files[url]["content"], content_type="application/octet-stream"
            )
        if parts[0] == "shares":  # /shares/u!{base64url(url)}/driveItem[/content]
            if not parts[1].startswith("u!") or parts[2:3] != ["driveItem"]:
                return web.json_response(
                    {"error": {"code": "invalidRequest", "message": "bad share id"}}, status=400
                )
            encoded = parts[1][2:]
            if "=" in encoded or "+" in encoded or "/" in encoded:
                return web.json_response(
                    {"error": {"code": "invalidRequest", "message": "not base64url"}}, status=400
                )
            url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            shared = self.shared_files[url]
            if parts[3:] == ["content"]:  # Graph answers 302 to a download URL
                location = request.url.with_path(f"/v1.0/_downloads/{encoded}").with_query(None)
                return web.Response(status=302, headers={"Location": str(location)})
            return web.json_response(shared["item"])
        # …/messages/{id}[/replies/{id}]/hostedContents/{id}/$value
        at = parts.index("hostedContents")
        container = "/".join(parts[: at - 1])
        key = (container, parts[at - 1], parts[at + 1])
        if parts[at + 2 :] != ["$value"] or key not in self.hosted_contents:
            raise KeyError("/".join(parts))
        return web.Response(body=self.hosted_contents[key], content_type="image/png")


def expires_in(hours: float) -> str:
    return iso(datetime.now(UTC) + timedelta(hours=hours))
