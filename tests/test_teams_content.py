"""What people write in Teams reaches the bot whole: formatting and links as the bot's own
formatting, files shared from OneDrive/SharePoint and pictures pasted into the message as
files (Telegram's size limit), prompts that speak the Teams way, on both stores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.transports.teams import files as teams_files
from bot.transports.teams.render import teams_markdown, text_to_html
from core import formatting
from models.announcements import Announcement
from tests.fakes.graph_api import BOT_USER
from tests.test_teams import CHANNEL_BOX, COORD_AAD, Teams
from tests.test_teams import teams as teams


@pytest.fixture
def site(teams: Teams) -> Teams:
    """The bot on a Teams site (tests/test_teams.py's fixture)."""
    return teams


PDF = b"%PDF-1.4 agenda spotkania"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def md(body: str) -> str:
    return teams_markdown(body, "html", {"0"})


# --- Teams HTML -> the bot's formatting -----------------------------------------------


def test_styles_lists_and_links_become_the_bots_formatting() -> None:
    body = (
        "<p><strong>Spotkanie</strong> sieci w <em>Łomży</em></p>\n"
        '<ul><li>program: <a href="https://zmp.pl/program_2026?a=1&amp;b=(2)">strona</a></li>'
        "<li><p><u>ważne</u> i <s>nieaktualne</s></p></li></ul>\n"
        "<p>&nbsp;</p><p>Kod:&nbsp;<code>a*b</code> <b>pogrubione </b>dalej</p>"
    )
    text = md(body)
    assert text == (
        "**Spotkanie** sieci w _Łomży_\n"
        "- program: [strona](https://zmp.pl/program_2026?a=1&b=%282%29)\n"
        "- __ważne__ i ~~nieaktualne~~\n"
        "\n"
        "Kod: `a*b` **pogrubione** dalej"
    )
    html = text_to_html(text, markdown=True)  # what a Teams channel gets back
    assert "<b>Spotkanie</b> sieci w <i>Łomży</i>" in html
    assert (
        '<ul><li>program: <a href="https://zmp.pl/program_2026?a=1&amp;b=%282%29">strona</a></li>'
        "<li><u>ważne</u> i <s>nieaktualne</s></li></ul>"
    ) in html
    assert "<code>a*b</code> <b>pogrubione</b> dalej" in html
    telegram = formatting.to_html(text)  # what Telegram readers get
    assert "<b>Spotkanie</b>" in telegram and "• program: <a href=" in telegram
    assert "<u>ważne</u> i <s>nieaktualne</s>" in telegram


def test_ordered_lists_line_breaks_headings_and_code_blocks() -> None:
    body = (
        "<h2>Plan</h2><ol><li>kawa</li><li>wykład</li></ol>"
        "<p>linia 1<br>linia 2</p>"
        "<codeblock><code>x = 1<br>y = 2</code></codeblock>"
        "<blockquote>cytat</blockquote>"
    )
    assert md(body) == "**Plan**\n1. kawa\n2. wykład\nlinia 1\nlinia 2\n`x = 1`\n`y = 2`\ncytat"


def test_mentions_emoji_and_entities() -> None:
    body = (
        '<p><at id="0">EMPIRIE Bot</at> dziękuję <at id="1">Anna Nowak</at> '
        '<img alt="👍" itemtype="http://schema.skype.com/Emoji" src="https://x/e.png"> '
        '<emoji id="smile" alt="🙂" title="Uśmiech"></emoji> &lt;b&gt; &amp; &quot;cudzysłów&quot;</p>'
    )
    assert md(body) == 'dziękuję Anna Nowak 👍 🙂 <b> & "cudzysłów"'


def test_markup_from_outside_never_gets_through() -> None:
    body = (
        '<p><a href="javascript:alert(1)">kliknij</a> <a href="mailto:a@b.pl">poczta</a> '
        '<a href="https://x.pl/&quot;onmouseover=&quot;alert(1)">strona</a> '
        '<script>alert(2)</script><span onclick="x">tekst</span> &lt;script&gt;</p>'
        '<img src="https://graph.microsoft.com/v1.0/chats/c/messages/1/hostedContents/a/$value">'
    )
    text = md(body)
    assert text == (
        "kliknij poczta [strona](https://x.pl/%22onmouseover=%22alert%281%29) tekst <script>"
    )
    for rendered in (formatting.to_html(text), text_to_html(text, markdown=True)):
        assert "<script>" not in rendered and "&lt;script&gt;" in rendered
        assert "javascript:" not in rendered and "mailto:" not in rendered
        assert rendered.count("<a ") == 1 and "onmouseover=&quot;" not in rendered


def test_a_command_stays_as_typed_whatever_the_composer_added() -> None:
    body = '<p><at id="0">EMPIRIE Bot</at>&nbsp;<b>/potwierdz_konto</b> 3</p>'
    assert md(body) == "/potwierdz_konto 3"
    assert teams_markdown("zwykły tekst", "text", set()) == "zwykły tekst"


def test_the_formatting_subset_renders_the_new_styles_everywhere() -> None:
    text = "__podkreślone__ ~~skreślone~~ `kod **nie** pogrubiony` [https://a.pl](https://a.pl)"
    assert formatting.to_html(text) == (
        "<u>podkreślone</u> <s>skreślone</s> <code>kod **nie** pogrubiony</code> "
        '<a href="https://a.pl">https://a.pl</a>'
    )
    assert formatting.to_plain(text) == "podkreślone skreślone kod **nie** pogrubiony https://a.pl"
    assert formatting.to_html("`<b>`") == "<code>&lt;b&gt;</code>"
    assert formatting.to_html("__init__ i _x_") == "<u>init</u> i <i>x</i>"


# --- an announcement written in Teams, with formatting and a file -----------------------


class Private:
    """The coordinator's 1:1 chat with the bot's account."""

    def __init__(self, site: Teams) -> None:
        self.teams = site
        self.chat_id = site.graph.user_opens_chat(COORD_AAD)
        self.box = f"chats/{self.chat_id}/messages"

    async def open(self) -> None:
        await self.teams.transport.maintain()  # finds the chat and subscribes

    async def write(
        self,
        html: str,
        shared: tuple[tuple[str, bytes], ...] = (),
        pictures: tuple[bytes, ...] = (),
        size: int | None = None,
    ) -> list[str]:
        """The coordinator writes (Graph notifies the bot by itself); the bot's answers."""
        graph = self.teams.graph
        before = len(graph.sent(self.box))
        attachments = [graph.share_file(name, content, COORD_AAD) for name, content in shared]
        if size is not None:  # what the drive reports (a file too big to fetch)
            for item in graph.drive_items.values():
                if any(item["webUrl"] == a["contentUrl"] for a in attachments):
                    item["size"] = size
        await graph.post_as_user(
            self.box,
            COORD_AAD,
            html,
            attachments=attachments,
            hosted=[(picture, "image/png") for picture in pictures],
        )
        await self.teams.settle()
        return [m["body"]["content"] for m in graph.sent(self.box)[before:]]


ANNOUNCEMENT_HTML = (
    "<p><b>Spotkanie sieci</b> 12 maja w <i>Łomży</i>.</p>"
    '<ul><li>program na <a href="https://zmp.pl/program">stronie</a></li>'
    "<li>agenda w załączniku</li></ul>"
)


async def test_an_announcement_written_in_teams_keeps_formatting_link_and_file(
    site: Teams,
) -> None:
    chat = Private(site)
    await chat.open()
    [hint] = await chat.write("/ogloszenie")
    assert "jak zwykle w Teams" in hint and "**pogrubienie**" not in hint
    [ask_file] = await chat.write(ANNOUNCEMENT_HTML)
    assert "Dołącz teraz plik" in ask_file
    [ask_networks] = await chat.write("", shared=(("agenda.pdf", PDF),))
    assert "Do których sieci" in ask_networks
    for answer in ("cyfrowe", "wszyscy", "czaty", "nie"):
        await chat.write(answer)
    [preview] = await chat.write("teraz")
    assert "Załącznik: tak" in preview
    number = re.search(r"nr (\d+)", preview)
    assert number, preview
    await chat.write(f"/ogloszenie_wyslij {number.group(1)}")

    with site.db.session() as s:
        announcement = s.get(Announcement, int(number.group(1)))
        assert announcement is not None
        text = announcement.text
    assert text == (
        "**Spotkanie sieci** 12 maja w _Łomży_.\n"
        "- program na [stronie](https://zmp.pl/program)\n"
        "- agenda w załączniku"
    )
    telegram = formatting.to_html(text)  # a Telegram reader's message
    assert "<b>Spotkanie sieci</b>" in telegram and "<i>Łomży</i>" in telegram
    assert '<a href="https://zmp.pl/program">stronie</a>' in telegram
    posted = site.graph.sent(CHANNEL_BOX)  # the network's Teams channel
    [body] = [p["body"]["content"] for p in posted if "Spotkanie" in p["body"]["content"]]
    assert "<b>Spotkanie sieci</b> 12 maja w <i>Łomży</i>." in body
    assert '<ul><li>program na <a href="https://zmp.pl/program">stronie</a></li>' in body
    uploaded = [  # the bot's copy in the channel's folder, beside the coordinator's own file
        n
        for n in site.graph.drive_items.values()
        if n["name"] == "agenda.pdf" and n["parentReference"]["driveId"] != f"drive-{COORD_AAD}"
    ]
    assert len(uploaded) == 1 and site.graph.drive_content[uploaded[0]["id"]] == PDF
    assert any(a.get("name") == "agenda.pdf" for p in posted for a in p["attachments"])
    # read through /shares/u!…/driveItem, the content through Graph's download redirect
    assert site.graph.requests("GET", "shares/u!")
    assert site.graph.downloads


async def test_a_picture_pasted_into_the_message_is_the_attachment(site: Teams) -> None:
    chat = Private(site)
    await chat.open()
    await chat.write("/ogloszenie")
    await chat.write("Zdjęcia z ostatniego spotkania")
    [ask_networks] = await chat.write("<p>proszę</p>", pictures=(PNG,))
    assert "Do których sieci" in ask_networks
    assert site.graph.requests("GET", "/hostedContents/")


async def test_a_file_over_telegrams_limit_is_refused_politely(
    site: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Private(site)
    await chat.open()
    await chat.write("/ogloszenie")
    await chat.write("Treść ogłoszenia")
    replies = await chat.write(
        "", shared=(("film.mp4", b"x" * 100),), size=teams_files.MAX_INCOMING_BYTES + 1
    )
    assert any("za duży" in r and "film.mp4" in r and "20 MB" in r for r in replies), replies
    assert not site.graph.downloads  # never downloaded
    # still waiting for a file: a smaller one is taken
    [ask_networks] = await chat.write("", shared=(("agenda.pdf", PDF),))
    assert "Do których sieci" in ask_networks

    # a picture bigger than the limit (checked on what arrives) is refused the same way
    monkeypatch.setattr(teams_files, "MAX_INCOMING_BYTES", 10)
    replies = await chat.write("<p>i zdjęcie</p>", pictures=(PNG,))
    assert any("za duży" in r and "obraz-1" in r for r in replies), replies


async def test_a_file_the_bot_cannot_open_is_said_so(site: Teams) -> None:
    chat = Private(site)
    await chat.open()
    await chat.write("/ogloszenie")
    await chat.write("Treść ogłoszenia")
    attachment = site.graph.share_file("tajne.docx", b"x", COORD_AAD)
    site.graph.drive_items.clear()  # not shared with the bot's account: Graph says 404
    message = await site.graph.post_as_user(chat.box, COORD_AAD, "", attachments=[attachment])
    await site.settle()
    texts = [m["body"]["content"] for m in site.graph.sent(chat.box)]
    assert sum("Nie udało mi się otworzyć pliku „tajne.docx”" in t for t in texts) == 1
    # the same message read again (a redelivery) is not answered twice
    await site.transport.handle_message(
        *_row_and_message(site, chat.chat_id, message["id"])  # type: ignore[arg-type]
    )
    await site.settle()
    texts = [m["body"]["content"] for m in site.graph.sent(chat.box)]
    assert sum("tajne.docx" in t for t in texts) == 1


def _row_and_message(site: Teams, chat_id: str, message_id: str) -> tuple[object, object]:
    from msgraph.generated.models.chat_message import ChatMessage

    from models import teams as store

    with site.db.session() as s:
        row = store.subscription_for(s, chat_id)
    message = ChatMessage(id=message_id)
    return row, message


def test_the_bot_uses_no_deprecated_request_configuration_classes() -> None:
    """kiota's generic RequestConfiguration[QueryParameters] only (msgraph's own nested
    *RequestConfiguration classes are deprecated and warn)."""
    sources = Path(__file__).resolve().parent.parent / "bot"
    used = {
        m
        for path in sources.rglob("*.py")
        for m in re.findall(r"\w+RequestBuilder\w*RequestConfiguration\b", path.read_text())
    }
    assert used == set()


def test_share_ids_are_unpadded_base64url() -> None:
    url = "https://zmp.sharepoint.com/sites/x/Shared Documents/a?b>c.pdf"
    sid = teams_files.share_id(url)
    assert sid.startswith("u!") and not set(sid[2:]) & set("=+/")
    assert BOT_USER  # the fake's bot account is the one sharing-links are read as
