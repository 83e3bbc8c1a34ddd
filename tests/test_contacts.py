"""/kontakt: a city official finds who runs their network, privately."""

from __future__ import annotations

from models.db import Database
from tests.cast import find_cast
from tests.conftest import Chat


async def test_a_representative_finds_the_support_team_privately(
    chat: Chat, seeded: Database
) -> None:
    cast = find_cast(seeded)
    [answer] = await chat.say(cast.laureate_rep, "/kontakt", chat="cyfrowe")
    assert answer.to is not None and answer.to.chat_id == str(cast.laureate_rep)  # not the group
    lines = answer.text.splitlines()
    assert lines[0] == "Kto prowadzi sieć MIASTO CYFROWE:"
    roles = [line.split(":")[0] for line in lines[1:]]
    assert roles[0] == "• koordynator-facylitator" and "• ekspert-moderator" in roles
    assert roles[-1] == "• zespół koordynujący"
    assert not any("przedstawiciel" in line for line in lines)  # representatives are not staff


async def test_another_network_by_code_and_a_mistyped_one(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    other = await chat.text(cast.laureate_rep, "/kontakt zielone")
    assert other.startswith("Kto prowadzi sieć MIASTO NEUTRALNE KLIMATYCZNIE")
    typo = await chat.text(cast.laureate_rep, "/kontakt Zielone!")
    assert typo.startswith("Użycie: /kontakt [sieć]") and "/kontakt cyfrowe" in typo


async def test_the_leaders_network_is_not_shown_to_outsiders(chat: Chat, seeded: Database) -> None:
    cast = find_cast(seeded)
    refused = await chat.text(cast.laureate_rep, "/kontakt liderzy")
    assert "Kto prowadzi" not in refused
    assert "liderzy" in refused.lower() or "LEADERSHIP" in refused
    stranger = await chat.text("tg-unknown", "/kontakt cyfrowe")
    assert "/start" in stranger
