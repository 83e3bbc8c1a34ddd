"""`empirie-bot teams bind | status | login` as an administrator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from models import teams as store
from models.db import Database


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EMPIRIE_DATABASE_URL", url)
    monkeypatch.setenv("EMPIRIE_SEED_DEMO", "false")
    monkeypatch.setenv("EMPIRIE_TEAMS_AUTH_RECORD_FILE", str(tmp_path / "record.json"))
    monkeypatch.chdir(tmp_path)
    return url


def test_bind_a_channel_and_a_chat_then_see_them_in_status(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["teams", "bind", "cyfrowe", "--team", "T-1", "--channel", "19:abc@thread.tacv2"]) == 0
    )
    assert main(["teams", "bind", "zielone", "--chat", "19:xyz@thread.v2"]) == 0
    assert main(["teams", "status"]) == 0
    out = capsys.readouterr().out
    assert "nobody: run empirie-bot teams login" in out
    assert "cyfrowe: T-1/19:abc@thread.tacv2 — pending" in out
    assert "zielone: 19:xyz@thread.v2 — pending" in out
    db = Database(env)
    with db.session() as s:
        rows = {r.chat_id: (r.resource, r.kind) for r in store.subscriptions(s)}
    db.dispose()
    assert rows == {
        "T-1/19:abc@thread.tacv2": ("/teams/T-1/channels/19:abc@thread.tacv2/messages", "channel"),
        "19:xyz@thread.v2": ("/chats/19:xyz@thread.v2/messages", "group"),
    }


def test_bind_needs_a_channel_with_its_team_or_a_chat(env: str) -> None:
    with pytest.raises(SystemExit):
        main(["teams", "bind", "cyfrowe", "--channel", "19:abc@thread.tacv2"])
    with pytest.raises(SystemExit):
        main(["teams", "bind", "nieznana", "--chat", "19:xyz@thread.v2"])


def test_login_without_an_app_registration_says_what_to_set(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["teams", "login"])
    assert "EMPIRIE_TEAMS_CLIENT_ID" in capsys.readouterr().err
