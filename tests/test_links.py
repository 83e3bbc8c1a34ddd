"""Signed page links: per person, per purpose, expiring; offered on every transport."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from bot.outbox import message_of
from bot.router import Router
from bot.transports.console import ConsoleTransport
from core import links
from core.clock import FrozenClock
from core.config import Settings
from core.messages import Action, Outgoing, Target
from core.outbox import to_payload
from models.db import Database
from tests.conftest import START
from tests.fakes.telegram_api import FakeBotApi

SECRET = "s3cret-for-tests-only"


def test_a_signed_link_round_trips_with_its_person_purpose_and_parameters() -> None:
    signer = links.Signer(SECRET)
    token = signer.sign(7, links.RSVP, START + timedelta(days=1), {"meeting": 12})
    claim = signer.verify(token, START, links.RSVP)
    assert (claim.person_id, claim.purpose, claim.params) == (7, "rsvp", {"meeting": 12})
    assert claim.expires_at == START + timedelta(days=1)


@pytest.mark.parametrize("change", ["person", "flip", "truncate", "garbage"])
def test_a_tampered_link_is_refused(change: str) -> None:
    signer = links.Signer(SECRET)
    token = signer.sign(7, links.RSVP, START + timedelta(days=1), {"meeting": 12})
    other = signer.sign(8, links.RSVP, START + timedelta(days=1), {"meeting": 12})
    payload, signature = token.rsplit(".", 1)
    forged = {
        "person": other.rsplit(".", 1)[0] + "." + signature,  # someone else's body, my signature
        "flip": payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:],
        "truncate": token[:-3],
        "garbage": "not-a-token",
    }[change]
    with pytest.raises(links.LinkError) as refused:
        signer.verify(forged, START, links.RSVP)
    assert refused.value.reason == "tampered"


def test_another_secret_does_not_verify() -> None:
    token = links.Signer(SECRET).sign(7, links.HUB, START + timedelta(days=1))
    with pytest.raises(links.LinkError) as refused:
        links.Signer("another-secret").verify(token, START, links.HUB)
    assert refused.value.reason == "tampered"


def test_an_expired_link_is_refused_at_its_expiry() -> None:
    signer = links.Signer(SECRET)
    token = signer.sign(7, links.HUB, START + timedelta(hours=1))
    assert signer.verify(token, START + timedelta(minutes=59), links.HUB).person_id == 7
    with pytest.raises(links.LinkError) as refused:
        signer.verify(token, START + timedelta(hours=1), links.HUB)
    assert refused.value.reason == "expired"


def test_a_link_works_only_for_its_purpose() -> None:
    signer = links.Signer(SECRET)
    token = signer.sign(7, links.MEETINGS, START + timedelta(days=1))
    with pytest.raises(links.LinkError) as refused:
        signer.verify(token, START, links.RSVP)
    assert refused.value.reason == "purpose"


def test_other_page_tokens_made_from_the_secret_are_not_links() -> None:
    signer = links.Signer(SECRET)
    form_token = signer.serializer("csrf").dumps([7, links.RSVP, 2_000_000_000])
    with pytest.raises(links.LinkError):
        signer.verify(str(form_token), START, links.RSVP)


def test_without_a_public_address_no_link_is_offered(db: Database, settings: Settings) -> None:
    assert links.page_url(db, settings, 7, links.HUB, START) is None
    assert links.button("Open", None) is None


def test_page_url_uses_the_public_address_and_the_default_lifetime(
    db: Database, settings: Settings
) -> None:
    configured = settings.model_copy(
        update={"public_url": "https://bot.example.org/", "page_link_days": 3}
    )
    url = links.page_url(db, configured, 7, links.RSVP, START, meeting=4)
    assert url is not None and url.startswith("https://bot.example.org/p/rsvp/")
    claim = links.signer(db, configured, START).verify(url.rsplit("/", 1)[1], START, links.RSVP)
    assert claim.expires_at == START + timedelta(days=3)
    assert claim.params == {"meeting": 4}


def test_the_generated_secret_is_stored_once_and_shared(db: Database, settings: Settings) -> None:
    configured = settings.model_copy(update={"public_url": "https://bot.example.org"})
    url = links.page_url(db, configured, 7, links.HUB, START)
    assert url is not None
    links._signers.clear()  # another process: nothing cached, the same stored secret
    again = links.signer(db, configured, START)
    assert again.verify(url.rsplit("/", 1)[1], START, links.HUB).person_id == 7
    explicit = configured.model_copy(update={"page_secret": SECRET})
    with pytest.raises(links.LinkError):  # a configured secret replaces the stored one
        links.signer(db, explicit, START).verify(url.rsplit("/", 1)[1], START, links.HUB)


def test_link_buttons_survive_the_outbox(db: Database, clock: FrozenClock) -> None:
    message = Outgoing(
        "Invitation",
        actions=(
            Action("Online", "/rsvp 1 online"),
            Action("Answer on a page", "/rsvp 1", url="https://bot.example.org/p/rsvp/x"),
        ),
    )
    assert message_of(to_payload(message), []).actions == message.actions


async def test_console_prints_the_link_and_numbers_only_the_buttons(router: Router) -> None:
    out = io.StringIO()
    console = ConsoleTransport(router, io.StringIO(), out)
    await console.deliver(
        None,
        Outgoing(
            "Invitation",
            actions=(
                Action("Online", "/rsvp 1 online"),
                Action("Answer on a page", url="https://bot.example.org/p/rsvp/x"),
            ),
        ),
    )
    printed = out.getvalue()
    assert "[1] Online" in printed and "[2]" not in printed
    assert "🔗 Answer on a page: https://bot.example.org/p/rsvp/x" in printed
    assert console.actions == (Action("Online", "/rsvp 1 online"),)


async def test_telegram_shows_a_url_button_beside_the_callback_buttons(
    api: FakeBotApi, router: Router, settings: Settings
) -> None:
    from bot.transports.telegram import TelegramTransport
    from tests.test_telegram import telegram_settings

    transport = TelegramTransport(
        router, telegram_settings(settings, f"http://127.0.0.1:{api.port}")
    )
    await transport.start()
    try:
        await transport.send(
            Target("telegram", "5001"),
            Outgoing(
                "Invitation",
                actions=(
                    Action("In person", "/rsvp 1 stacjonarnie"),
                    Action("Online", "/rsvp 1 online"),
                    Action("Answer on a page", url="https://bot.example.org/p/rsvp/x"),
                ),
            ),
        )
    finally:
        await transport.stop()
    rows = api.sent("sendMessage", 5001)[0].params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[0]] == ["In person", "Online"]
    assert all("callback_data" in b for b in rows[0])
    assert rows[1] == [{"text": "Answer on a page", "url": "https://bot.example.org/p/rsvp/x"}]


def test_teams_shows_a_pure_link_as_an_open_url_card_without_a_typed_command() -> None:
    import json

    from bot.transports.teams.render import render
    from core.i18n import Translator

    t = Translator("pl", Settings().tz)
    [part] = render(
        t,
        Outgoing(
            "Zaproszenie",
            actions=(
                Action("Online", "/rsvp 1 online"),
                Action("Odpowiedz na stronie", url="https://bot.example.org/p/rsvp/x"),
            ),
        ),
    )
    assert "<code>/rsvp 1 online</code>" in part.html
    assert "Odpowiedz na stronie:" not in part.html  # nothing to type for a pure link
    card = json.loads(part.attachments[0]["content"])
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Odpowiedz na stronie",
            "url": "https://bot.example.org/p/rsvp/x",
        }
    ]
