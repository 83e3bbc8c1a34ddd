"""The meeting's materials on Teams (the real msgraph-sdk against the fake Graph, as strict as
Graph for files): the coordinator shares a 5 MB file in the network's channel with
`/material <meeting> otwarta …`; the bot reads it, keeps it once, and the open part's
material lands in the channel's files on SharePoint (filesFolder, then an upload session: the
simple PUT takes 4 MB at most; chunks of 320 KiB multiples without our token, a throttled
chunk sent again after its Retry-After) with a post linking to it; the participant gets it in
the 1:1 chat, uploaded the same way to the bot's OneDrive with a view link. A small file goes
in one PUT; a closed part's note never lands in the channel."""

# ruff: noqa: F811  (the tests take the `teams` fixture imported from tests.test_teams)

from __future__ import annotations

from sqlmodel import select

from models.blobs import Blob
from models.materials import Material
from tests.fakes.graph_api import SIMPLE_UPLOAD_MAX, Fault
from tests.materials_data import meeting_held
from tests.test_between_meetings_teams import link_rep, private_box, said, typed
from tests.test_teams import (
    CHANNEL_BOX,
    COORD_AAD,
    REP_AAD,
    TEAM,
    Teams,
    teams,  # noqa: F401  (the fixture the tests below take)
)

BIG = (b"%PDF-1.7 prezentacja " + bytes(range(256)) * 20_000)[: 5 * 1024 * 1024 + 12345]


async def test_an_open_part_file_goes_to_the_channel_files_and_privately(teams: Teams) -> None:
    link_rep(teams)
    number = meeting_held(teams.db, teams.cast, teams.clock.now())
    assert len(BIG) > SIMPLE_UPLOAD_MAX
    teams.graph.faults.append(Fault("PUT", "upload/", status=429, times=1, retry_after=1))
    shared = teams.graph.share_file("prezentacja.pdf", BIG, COORD_AAD)
    await teams.graph.post_as_user(
        CHANNEL_BOX,
        COORD_AAD,
        f"/material {number} otwarta Prezentacja z warsztatów",
        attachments=[shared],
        mention_bot=True,
    )
    await teams.settle()
    assert any("Zapisane w archiwum sieci (#1)" in t for t in said(teams, COORD_AAD))
    with teams.db.session() as s:
        [material] = s.exec(select(Material)).all()
        blob = s.get(Blob, material.blob_id)
        assert blob is not None and blob.content == BIG and material.open_part

    # the channel: its files folder, an upload session, a post referencing the file
    folder = teams.graph.requests("GET", f"teams/{TEAM}/channels/")
    assert any(c.path.endswith("/filesFolder") and c.status == 200 for c in folder)
    sessions = [c for c in teams.graph.requests("POST") if c.path.endswith("createUploadSession")]
    assert len(sessions) == 2 and all(c.status == 200 for c in sessions)  # channel, 1:1 chat
    assert any(c.path.startswith("drives/drive-team/") for c in sessions)
    chunks = teams.graph.requests("PUT", "upload/")
    assert all("Authorization" not in c.headers for c in chunks)
    assert [c.status for c in chunks].count(429) == 1  # sent again after its Retry-After
    assert [c.status for c in chunks].count(201) == 2
    simple = [c for c in teams.graph.requests("PUT") if c.path.endswith("/content")]
    assert all(len(c.body or b"") <= SIMPLE_UPLOAD_MAX for c in simple)
    stored = [i for i, content in teams.graph.drive_content.items() if content == BIG]
    assert len(stored) == 3  # the one shared, the channel's copy, the 1:1 chat's copy
    [post] = [m for m in teams.graph.sent(CHANNEL_BOX) if m.get("attachments")]
    [reference] = post["attachments"]
    assert reference["contentType"] == "reference" and reference["name"] == "prezentacja.pdf"
    assert reference["contentUrl"].startswith("https://zmp.sharepoint.com/")
    channel_text = " ".join(m["body"]["content"] for m in teams.graph.sent(CHANNEL_BOX))
    assert "Z otwartej części spotkania" in channel_text

    # the participant, privately: the text and the file shared from the bot's OneDrive
    got = said(teams, REP_AAD)
    assert any("Materiał ze spotkania nr" in t and "Prezentacja z warsztatów" in t for t in got)
    assert any("prezentacja.pdf" in t and "https://zmp.sharepoint.com/" in t for t in got)


async def test_a_small_file_in_one_put_and_a_note_stays_out_of_the_channel(teams: Teams) -> None:
    link_rep(teams)
    number = meeting_held(teams.db, teams.cast, teams.clock.now())
    await typed(
        teams,
        CHANNEL_BOX,
        COORD_AAD,
        f"/notatka {number} Wnioski: wspólny standard e-usług.",
        mention_bot=True,
    )
    assert teams.graph.sent(CHANNEL_BOX) == []  # typed in the channel, answered in the 1:1
    assert any("Zapisane w archiwum sieci" in t for t in said(teams, COORD_AAD))
    assert any("Wnioski: wspólny standard e-usług." in t for t in said(teams, REP_AAD))

    await teams.transport.maintain()  # the coordinator's 1:1 chat is listened to
    small = b"%PDF-1.7 lista obecnosci"
    shared = teams.graph.share_file("lista.pdf", small, COORD_AAD)
    await teams.graph.post_as_user(
        private_box(COORD_AAD), COORD_AAD, f"/material {number}", attachments=[shared]
    )
    await teams.settle()
    assert any("Zapisane w archiwum sieci (#2)" in t for t in said(teams, COORD_AAD))
    assert not [c for c in teams.graph.requests("POST") if "createUploadSession" in c.path]
    puts = [c for c in teams.graph.requests("PUT") if c.path.endswith("/content")]
    assert puts and all(c.body == small for c in puts)
    assert any("lista.pdf" in t for t in said(teams, REP_AAD))
    assert teams.graph.sent(CHANNEL_BOX) == []  # not the open part: the channel gets nothing
