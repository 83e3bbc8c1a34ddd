"""The coordinator's report on Teams (the real msgraph-sdk against the fake Graph): typed in the
network's channel, the form is answered in the coordinator's 1:1 chat with the typed commands
(Teams messages sent through Graph carry no working buttons); sections are typed, the report
submitted, the coordinating team told in its 1:1 chat, and the PDF and DOCX shared from the
bot's OneDrive open with the Polish text. Nothing lands in the channel."""

# ruff: noqa: F811  (the tests take the `teams` fixture imported from tests.test_teams)

from __future__ import annotations

import io
from datetime import UTC, datetime

from docx import Document
from pypdf import PdfReader

from models import directory
from tests.test_between_meetings_teams import WARSAW, jobs, private_box, said, typed
from tests.test_teams import (
    CHANNEL_BOX,
    COORD_AAD,
    Teams,
    teams,  # noqa: F401  (the fixture the test below takes)
)

TEAM_AAD = "c0000000-0000-4000-8000-000000000009"


async def test_the_report_typed_in_the_one_on_one_chat_and_its_files_for_the_team(
    teams: Teams,
) -> None:
    teams.graph.add_user(TEAM_AAD, "Zofia Zespół", "z.zespol@zmp.example.pl")
    with teams.db.session() as s:
        directory.link_account(s, teams.cast.team, "teams", TEAM_AAD, None, teams.clock.now())
    coord = private_box(COORD_AAD)
    await typed(
        teams,
        CHANNEL_BOX,
        COORD_AAD,
        "/spotkanie_nowe cyfrowe; Spotkanie II; 25.11.2026 10:00; online; 4",
        mention_bot=True,
    )
    teams.clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=WARSAW).astimezone(UTC))
    await teams.transport.maintain()
    before = len(teams.graph.sent(CHANNEL_BOX))

    await typed(teams, CHANNEL_BOX, COORD_AAD, "/raport_koordynatora 1", mention_bot=True)
    [form] = [t for t in said(teams, COORD_AAD) if "Raport koordynatora ze spotkania nr 1" in t]
    assert "/raport_sekcja 1 1" in form and "/raport_wyslij 1" in form  # the buttons, typed
    await teams.transport.maintain()  # the 1:1 chat is listened to
    await typed(teams, coord, COORD_AAD, "/raport_sekcja 1 1 Gościliśmy w Łomży 14 miast.")
    await typed(teams, coord, COORD_AAD, "/raport_sekcja 1 2 Potrzebny wspólny standard.")
    await typed(teams, coord, COORD_AAD, "/raport_wyslij 1")
    assert any("Nie wysłano" in t and "3. Rekomendacje" in t for t in said(teams, COORD_AAD))
    await typed(teams, coord, COORD_AAD, "/raport_sekcja 1 3 Wzór umowy.")
    await typed(teams, coord, COORD_AAD, "/raport_sekcja 1 4 Ankieta do stycznia — żółte karty.")
    await typed(teams, coord, COORD_AAD, "/raport_wyslij 1")
    assert any("jest wysłany" in t for t in said(teams, COORD_AAD))
    await jobs(teams)  # the notice to the coordinating team is delivered

    [notice] = [t for t in said(teams, TEAM_AAD) if "przesyła raport" in t]
    assert "/raport_pliki 1" in notice
    await teams.transport.maintain()  # the team's new 1:1 chat is listened to
    await typed(teams, private_box(TEAM_AAD), TEAM_AAD, "/raport_pliki 1")
    shared = [t for t in said(teams, TEAM_AAD) if "📎" in t or ".pdf" in t]
    assert any("raport_koordynatora_cyfrowe_spotkanie_1.pdf" in t for t in shared), shared
    assert any("raport_koordynatora_cyfrowe_spotkanie_1.docx" in t for t in shared), shared
    uploaded = list(teams.graph.drive_content.values())
    [pdf] = [c for c in uploaded if c.startswith(b"%PDF")]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Gościliśmy w Łomży 14 miast." in text and "żółte karty" in text
    [docx] = [c for c in uploaded if c.startswith(b"PK")]
    paragraphs = [p.text for p in Document(io.BytesIO(docx)).paragraphs]
    assert "Ankieta do stycznia — żółte karty." in paragraphs
    channel = [m["body"]["content"] for m in teams.graph.sent(CHANNEL_BOX)[before:]]
    assert not any("aport" in t for t in channel), channel  # (the feedback poll is there)
