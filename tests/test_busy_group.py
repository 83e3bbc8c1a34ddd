"""A busy group through the real PTB client and the fake Bot API with Telegram's flood limits
enforced: presses are answered to each presser with a toast, nothing is posted in the group
per press, the invitation is edited with live counts, and a private question is not held up
behind the group's throttled messages."""

from __future__ import annotations

import re

from core.clock import SystemClock
from core.config import Settings
from models import directory
from models.db import Database
from tests.burst_scenario import (
    ASKER,
    COORDINATOR,
    GROUP,
    acks,
    add_representatives,
    burst,
    publish_invitation,
    running_bot,
)
from tests.cast import find_cast
from tests.fakes.telegram_api import FakeBotApi
from tests.test_telegram import link


async def test_forty_presses_in_a_second_in_a_group_with_flood_limits(
    api: FakeBotApi, seeded: Database, settings: Settings
) -> None:
    clock = SystemClock()
    cast = find_cast(seeded)
    link(seeded, cast.coordinator, COORDINATOR)
    with seeded.session() as s:
        directory.bind_chat(
            s,
            directory.require_network(s, "cyfrowe"),
            "telegram",
            str(GROUP),
            "Miasto Cyfrowe",
            cast.coordinator,
            clock.now(),
        )
    limits = api.enforce_limits()
    async with running_bot(api, seeded, clock, settings):
        buttons = await publish_invitation(api, seeded, cast.coordinator)
        add_representatives(seeded, 40, clock.now())  # linked after: no private invitations
        result = await burst(api, seeded, clock, buttons)

        # every presser gets their own toast, none is posted in the group
        await api.wait_for(lambda: len(acks(api, result.presses)) == 40, timeout=20)
        toasts = [c.params.get("text", "") for c in acks(api, result.presses)]
        assert all(t.startswith("Zapisano") for t in toasts), toasts
        # the private question is answered while the group's queue is still draining
        await api.wait_for(lambda: bool(api.texts(ASKER)), timeout=20)
        answered = api.sent("sendMessage", ASKER)[0].at
        await api.wait_for(
            lambda: (
                len(
                    [
                        c
                        for c in api.sent("sendMessage", GROUP)
                        if c.params["text"].startswith("Komunikat")
                    ]
                )
                == 4
            ),
            timeout=30,
        )
        last_backlog = max(
            c.at for c in api.sent("sendMessage", GROUP) if c.params["text"].startswith("Komunikat")
        )
        assert answered < last_backlog
        # the invitation is edited in place with the live counts, never re-posted
        await api.wait_for(
            lambda: any(
                "stacjonarnie 20" in c.params["text"] and "online 20" in c.params["text"]
                for c in api.sent("editMessageText", GROUP)
            ),
            timeout=30,
        )
    posted = [
        c.params["text"]
        for c in result.group_messages
        if c.method == "sendMessage" and c.status == 200
    ]
    assert all(re.fullmatch(r"Komunikat \d", t) for t in posted), posted
    edits = api.sent("editMessageText", GROUP)
    # debounced: a few edits, not one per press (how many depends on how fast the machine
    # takes the 40 presses; 3 on an idle one, 4 seen under heavy load)
    assert 1 <= len(edits) <= 8
    assert limits.refused == 0  # paced: Telegram never had to say 429
