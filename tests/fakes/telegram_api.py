"""A local Bot API server over real HTTP: records every call, serves injected updates in the
Bot API's JSON shapes, and fails on demand (429 with retry_after, 5xx, slow answers).

Faults: `fail(method, kind, times, chat_id=…, skip=…)` fails chosen calls (`skip` lets that many
matching calls through first: a later part of a message); `inject_faults(rate, seed, kinds)`
fails a seeded random share of sends. Timeouts come in two kinds, because Telegram can time out
on either side of doing the work: "slow" holds the request past the client's read timeout
*without* processing it (nothing was delivered: a retry is the only copy), "lost" processes it
(the message is in the chat) and then holds the reply past the timeout (a retry is a real
duplicate: the at-least-once window, which no Bot API client can close). `on_accept` runs
right after a call was processed and before its reply is written (the crash tests kill the bot
there, at the worst moment).

With `enforce_limits()` it also keeps Telegram's flood limits the way Telegram does: a message
(send, edit, pin) beyond 1 per second per chat, 20 per minute per group or 30 per second overall
is refused with 429 and a `retry_after`."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000001


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    method: str
    # "429" | "500" | "slow" | "lost" | "migrated", or a refusal: "forbidden" (blocked by the
    # user), "kicked", "deactivated", "not_found" (chat), "too_long", "bad_request" (other)
    kind: str
    times: int = 1
    retry_after: int = 1
    chat_id: str | None = None
    delay: float = 3.0
    migrate_to: int = 0  # "migrated": the supergroup's new id
    skip: int = 0  # matching calls let through before failing (a later part of a message)


LIMITED = ("sendMessage", "sendDocument", "editMessageText", "pinChatMessage", "sendPoll")


@dataclass
class RandomFaults:
    """A seeded share of calls to `methods` fails with one of `kinds`, chosen at random."""

    rate: float
    seed: int
    kinds: tuple[str, ...]
    methods: tuple[str, ...] = LIMITED
    retry_after: int = 1
    delay: float = 1.0
    injected: Counter[str] = field(default_factory=Counter)  # kind -> how many

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def take(self, method: str) -> Fault | None:
        if method not in self.methods or self._rng.random() >= self.rate:
            return None
        kind = self._rng.choice(self.kinds)
        self.injected[kind] += 1
        return Fault(method, kind, retry_after=self.retry_after, delay=self.delay)


@dataclass
class FloodLimits:
    per_chat_interval: float = 1.0
    group_per_minute: int = 20
    overall_per_second: int = 30
    refused: int = 0  # how many requests got a 429 for breaking a limit
    _chat_last: dict[str, float] = field(default_factory=dict)
    _groups: dict[str, deque[float]] = field(default_factory=dict)
    _overall: deque[float] = field(default_factory=deque)

    def check(self, chat_id: str, now: float) -> float:
        """0 when allowed (and counted), else the seconds to wait."""
        waits = [self._chat_last.get(chat_id, -1e9) + self.per_chat_interval - now]
        while self._overall and self._overall[0] <= now - 1.0:
            self._overall.popleft()
        if len(self._overall) >= self.overall_per_second:
            waits.append(self._overall[0] + 1.0 - now)
        group = self._groups.setdefault(chat_id, deque()) if chat_id.startswith("-") else None
        if group is not None:
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= self.group_per_minute:
                waits.append(group[0] + 60.0 - now)
        wait = max(waits)
        if wait > 0:
            self.refused += 1
            return wait
        self._chat_last[chat_id] = now
        self._overall.append(now)
        if group is not None:
            group.append(now)
        return 0.0


def _flag(value: Any) -> bool:
    """A boolean parameter as PTB sends it (form fields arrive as strings)."""
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


class Refused(Exception):
    """A request the real Bot API answers with 400 Bad Request (the text is its description)."""


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST-TOKEN", username: str = "EmpirieTestBot") -> None:
        self.token, self.username = token, username
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self._updates: list[dict[str, Any]] = []
        self.served: dict[int, float] = {}  # update id → when getUpdates first handed it out
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self.webhook: dict[str, Any] | None = None
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (name, content) users sent
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.limits: FloodLimits | None = None
        self.random_faults: RandomFaults | None = None
        self.on_accept: Callable[[Call], None] | None = None
        self.active = 0  # requests being handled right now
        self.polls: dict[tuple[str, int], dict[str, Any]] = {}  # (chat, message id) -> poll

    # --- server ----------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        app.router.add_get("/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        async with self._new_update:
            self._new_update.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.active += 1
        try:
            return await self._handle(request)
        finally:
            self.active -= 1

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    params[key] = str(value) if key in ("text", "caption") else _decode(str(value))
        call = Call(method, params, files)
        self.calls.append(call)
        fault = self._take_fault(method, params)
        if fault is None and self.random_faults is not None:
            fault = self.random_faults.take(method)
        if fault is not None and fault.kind != "lost":
            return await self._fail(call, fault)
        if self.limits is not None and method in LIMITED:
            wait = self.limits.check(str(params.get("chat_id")), time.monotonic())
            if wait > 0:
                return await self._fail(
                    call, Fault(method, "429", retry_after=max(1, math.ceil(wait)))
                )
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response({"ok": True, "result": True})
        try:
            result = await handler(params, files)
        except Refused as refused:
            call.status = 400
            return web.json_response(
                {"ok": False, "error_code": 400, "description": f"Bad Request: {refused}"},
                status=400,
            )
        if self.on_accept is not None:
            self.on_accept(call)
        if fault is not None:  # "lost": done, but the reply comes after the client gave up
            await asyncio.sleep(fault.delay)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id][1])

    async def _api_getFile(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        file_id = str(params["file_id"])
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self.files[file_id][1]),
            "file_path": f"documents/{file_id}",
        }

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            if (
                fault.method == method
                and fault.times > 0
                and (fault.chat_id is None or str(params.get("chat_id")) == fault.chat_id)
            ):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                return fault
        return None

    async def _fail(self, call: Call, fault: Fault) -> web.Response:
        if fault.kind == "slow":  # the client gives up first: nothing was acknowledged
            call.status = 0
            await asyncio.sleep(fault.delay)
            return web.json_response(
                {"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status=504
            )
        status, body = {
            "429": (
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after}",
                    "parameters": {"retry_after": fault.retry_after},
                },
            ),
            "500": (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
            "forbidden": (
                403,
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
            ),
            "kicked": (
                403,
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was kicked from the group chat",
                },
            ),
            "deactivated": (
                403,
                {"ok": False, "error_code": 403, "description": "Forbidden: user is deactivated"},
            ),
            "not_found": (
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
            ),
            "too_long": (
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"},
            ),
            "bad_request": (
                400,
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: can't parse entities: unsupported start tag",
                },
            ),
            "migrated": (
                400,
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": fault.migrate_to},
                },
            ),
        }[fault.kind]
        call.status = status
        return web.json_response(body, status=status)

    # --- what tests do ---------------------------------------------------------------------
    def enforce_limits(self, **limits: Any) -> FloodLimits:
        """Refuse what Telegram would refuse (429 + retry_after) from now on."""
        self.limits = FloodLimits(**limits)
        return self.limits

    def fail(self, method: str, kind: str, times: int = 1, **kwargs: Any) -> Fault:
        fault = Fault(method, kind, times, **kwargs)
        self.faults.append(fault)
        return fault

    def inject_faults(
        self, rate: float, seed: int, kinds: tuple[str, ...] = ("429", "500", "slow"), **kwargs: Any
    ) -> RandomFaults:
        """From now on fail `rate` of the sends at random (seeded), besides `fail`'s faults."""
        self.random_faults = RandomFaults(rate, seed, kinds, **kwargs)
        return self.random_faults

    async def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        async with self._new_update:
            self._updates.append(update)
            self._new_update.notify_all()
        return update

    async def inject_malformed(self) -> dict[str, Any]:
        """An update the client cannot parse: a poll answer missing its option_ids (seen in
        the wild), served by getUpdates like any other."""
        return await self.inject({"poll_answer": {"poll_id": "p-1", "user": self._bot_user()}})

    def sent(self, method: str = "sendMessage", chat_id: int | str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method
            and c.status == 200
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def texts(self, chat_id: int | str) -> list[str]:
        return [c.params.get("text", "") for c in self.sent("sendMessage", chat_id)]

    async def wait_for(self, predicate: Any, timeout: float = 10.0, tick: Any = None) -> None:
        """Until predicate() holds; `tick` (e.g. the outbox's run_once) is awaited meanwhile,
        for what the bot queues instead of answering directly."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls: {[c.method for c in self.calls]}")
            if tick is not None:
                await tick()
            await asyncio.sleep(0.02)

    # --- Bot API methods -------------------------------------------------------------------
    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "EMPIRIE",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getMe(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return self._bot_user()

    async def _api_getUpdates(self, params: dict[str, Any], files: Any) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = min(100, int(params.get("limit") or 100))  # Telegram's cap: 1–100 per call
        if offset:  # Telegram forgets what an offset confirms
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        def pending() -> list[dict[str, Any]]:
            return [u for u in self._updates if u["update_id"] >= offset][:limit]

        async with self._new_update:
            if not pending() and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._new_update.wait_for(lambda: bool(pending())), timeout=min(timeout, 5)
                    )
            served = pending()
        for update in served:
            self.served.setdefault(update["update_id"], time.monotonic())
        return served

    async def _api_setWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = params
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = None
        return True

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        chat_id = int(chat_id)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        return {"id": chat_id, "type": "supergroup", "title": "Group"}

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(params["chat_id"]),
            "from": self._bot_user(),
            **extra,
        }

    async def _api_sendMessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"text": params["text"]}
        if params.get("reply_markup"):
            extra["reply_markup"] = params["reply_markup"]
        return self._message(params, **extra)

    async def _api_editMessageText(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return self._message(params, text=params["text"], edit_date=int(time.time()))

    async def _api_sendDocument(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        name, content = files.get("document", ("file", b""))
        return self._message(
            params,
            document={
                "file_id": f"doc-{len(self.calls)}",
                "file_unique_id": f"u{len(self.calls)}",
                "file_name": name,
                "file_size": len(content),
            },
        )

    async def _api_sendPoll(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        options = [
            {
                "text": o if isinstance(o, str) else o["text"],
                "voter_count": 0,
                "persistent_id": f"opt-{n}",
            }  # required since Bot API 9.6
            for n, o in enumerate(params["options"])
        ]
        message = self._message(
            params,
            poll={
                "id": f"poll-{len(self.calls)}",
                "question": params["question"],
                "options": options,
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": _flag(params.get("is_anonymous", True)),
                "type": "regular",
                "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
                "allows_revoting": _flag(params.get("allows_revoting", True)),  # Bot API 9.6
                "members_only": _flag(params.get("members_only", False)),
            },
        )  # Bot API 10.0
        self.polls[(str(params["chat_id"]), message["message_id"])] = message["poll"]
        return message

    async def _api_stopPoll(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        poll = self.polls.get((str(params["chat_id"]), int(params["message_id"])))
        if poll is None:
            raise Refused("message with poll to stop not found")
        if poll["is_closed"]:
            raise Refused("poll has already been closed")
        poll["is_closed"] = True
        return poll
