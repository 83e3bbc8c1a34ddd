"""Graph change-notification subscriptions: one per bound channel, group chat or private chat.

Rows in `teams_subscription` are the truth: a chat bound from the CLI or in chat gets a
pending row, and `maintain()` (woken by the scheduler) creates what is pending and renews
what expires soon. Chat-message subscriptions last at most 3 days; over an hour they need a
lifecycleNotificationUrl, which is the same endpoint. Never `getAllMessages` (metered) and
never polling.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from msgraph.generated.models.subscription import Subscription

from bot.transports.teams import graph
from models import teams as store
from models.teams import SubscriptionKind, SubscriptionStatus, TeamsSubscription

if TYPE_CHECKING:
    from bot.transports.teams.transport import TeamsTransport

log = logging.getLogger("empirie.teams")
RENEW_BEFORE = timedelta(hours=12)


CALENDAR = SubscriptionKind.CALENDAR  # also the key of the subscription on the service
# account's events


def resource_of(chat_key: str) -> str:
    """Our chat key (`<team id>/<channel id>` or a chat id) as the Graph resource."""
    if chat_key == CALENDAR:
        return "/me/events"
    if "/" in chat_key:
        team, channel = chat_key.split("/", 1)
        return f"/teams/{team}/channels/{channel}/messages"
    return f"/chats/{chat_key}/messages"


def register(
    transport: TeamsTransport, chat_key: str, kind: SubscriptionKind, since: datetime | None = None
) -> None:
    """Make sure a row exists for this chat; `maintain()` subscribes it. `since`: a chat
    found after people wrote in it — what they wrote since then is read once subscribed."""
    with transport.router.db.session() as s:
        row = store.ensure_subscription(
            s, chat_key, resource_of(chat_key), kind, transport.router.clock.now()
        )
        if (
            since is not None
            and row.status == SubscriptionStatus.PENDING
            and row.last_message_at is None
        ):
            row.last_message_at = since
            s.add(row)


async def maintain(transport: TeamsTransport) -> int:
    """Register bound chats, create pending subscriptions and renew those expiring soon."""
    if not transport.receiving:
        return 0
    await transport.discover_chats()
    now = transport.router.clock.now()
    with transport.router.db.session() as s:
        bound = {b.chat_id for b in store.bound_chats(s)}
        for chat_id in bound:
            store.ensure_subscription(
                s,
                chat_id,
                resource_of(chat_id),
                SubscriptionKind.CHANNEL if "/" in chat_id else SubscriptionKind.GROUP,
                now,
            )
        if transport.settings.teams_calendar_poll_seconds > 0:  # answers arrive at once
            store.ensure_subscription(s, CALENDAR, resource_of(CALENDAR), CALENDAR, now)
        unbound = [
            r
            for r in store.subscriptions(s)
            if r.kind == SubscriptionKind.CHANNEL and r.chat_id not in bound
        ]
        rows = list(store.due_for_renewal(s, now + RENEW_BEFORE))
    done = 0
    for row in unbound:  # a channel no longer bound: stop listening there
        done += await drop(transport, row)
    rows = [r for r in rows if r not in unbound]
    for row in rows:
        if transport.login_lost:
            break
        if row.status == SubscriptionStatus.PENDING or row.subscription_id is None:
            created = await create(transport, row)
            if created and row.last_message_at is not None:
                await transport.recover(row)  # e.g. `/start <code>` typed in a new chat
            done += created
        else:
            done += await renew(transport, row)
    return done


async def drop(transport: TeamsTransport, row: TeamsSubscription) -> int:
    if row.subscription_id:
        try:
            await transport.client.subscriptions.by_subscription_id(row.subscription_id).delete()
        except graph.LoginLost:
            transport.report_login_lost()
            return 0
        except Exception as error:
            if graph.status_code(error) != 404:
                log.warning(
                    "teams.unsubscribe_failed row=%s status=%s", row.id, graph.status_code(error)
                )
                return 0
    with transport.router.db.session() as s:
        store.delete_subscription(s, row.id or 0)
    log.info("teams.unsubscribed row=%s", row.id)
    return 1


def _expiry(transport: TeamsTransport) -> datetime:
    return transport.router.clock.now() + timedelta(
        hours=transport.settings.teams_subscription_hours
    )


async def create(transport: TeamsTransport, row: TeamsSubscription) -> int:
    url = transport.settings.teams_notification_url
    body = Subscription(
        change_type="updated" if row.kind == CALENDAR else "created",
        notification_url=url,
        lifecycle_notification_url=url,
        resource=row.resource,
        expiration_date_time=_expiry(transport),
        client_state=transport.settings.teams_client_state,
    )
    try:
        created = await transport.client.subscriptions.post(body)
    except graph.LoginLost:
        transport.report_login_lost()
        return 0
    except Exception as error:
        _save(
            transport,
            row.id or 0,
            status=SubscriptionStatus.FAILED
            if graph.status_code(error) in (400, 403, 404)
            else SubscriptionStatus.PENDING,
            last_error=f"{type(error).__name__}: {graph.status_code(error)}",
        )
        log.warning("teams.subscribe_failed chat=%s status=%s", row.id, graph.status_code(error))
        return 0
    assert created is not None
    _save(
        transport,
        row.id or 0,
        status=SubscriptionStatus.ACTIVE,
        subscription_id=created.id,
        expires_at=created.expiration_date_time,
        last_error=None,
    )
    log.info("teams.subscribed row=%s subscription=%s", row.id, created.id)
    return 1


async def renew(transport: TeamsTransport, row: TeamsSubscription) -> int:
    try:
        renewed = await transport.client.subscriptions.by_subscription_id(
            row.subscription_id or ""
        ).patch(Subscription(expiration_date_time=_expiry(transport)))
    except graph.LoginLost:
        transport.report_login_lost()
        return 0
    except Exception as error:
        if graph.status_code(error) == 404:  # gone (expired or removed): subscribe anew
            log.info("teams.subscription_gone row=%s", row.id)
            return await create(transport, row)
        log.warning("teams.renew_failed row=%s status=%s", row.id, graph.status_code(error))
        return 0
    assert renewed is not None
    _save(
        transport,
        row.id or 0,
        expires_at=renewed.expiration_date_time,
        status=SubscriptionStatus.ACTIVE,
    )
    log.info("teams.renewed row=%s", row.id)
    return 1


async def on_lifecycle(transport: TeamsTransport, item: dict[str, object]) -> None:
    """subscriptionRemoved → subscribe anew; reauthorizationRequired → reauthorize (or renew,
    which reauthorizes too); missed → read what was missed once."""
    event = str(item.get("lifecycleEvent"))
    with transport.router.db.session() as s:
        row = store.subscription_by_graph_id(s, str(item.get("subscriptionId")))
    if row is None:
        log.info("teams.lifecycle_unknown event=%s", event)
        return
    log.info("teams.lifecycle event=%s row=%s", event, row.id)
    if event == "subscriptionRemoved":
        await create(transport, row)
    elif event == "reauthorizationRequired":
        try:
            await transport.client.subscriptions.by_subscription_id(
                row.subscription_id or ""
            ).reauthorize.post()
        except graph.LoginLost:
            transport.report_login_lost()
        except Exception:
            await renew(transport, row)
    elif event == "missed":
        await transport.recover(row)


def _save(transport: TeamsTransport, row_id: int, **values: object) -> None:
    with transport.router.db.session() as s:
        row = s.get(TeamsSubscription, row_id)
        if row is None:
            return
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = transport.router.clock.now()
        s.add(row)
