"""Neutral messages as Teams chat-message HTML, and Teams messages back to typed text.

Graph posts as a user account, so no button can reach the bot: every action is shown as the
typed command it stands for, and when an action carries a signed link (an answer page) an
Adaptive Card with `Action.OpenUrl` is attached as well (never Action.Submit/Execute: there is
no Bot Framework bot to receive them).
"""

from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from core import formatting
from core.i18n import Translator
from core.messages import Action, Outgoing
from models.errors import N_

# Teams refuses messages over ~28 KB of HTML; keep each part well below it.
MAX_PART_CHARS = 12000
_URL = re.compile(r"(?<![\"'>=])\bhttps?://[^\s<]+[^\s<.,;:!?)\]'\"]")
_BULLET_LINE = re.compile(r"^\s*(?:[-*•])\s+(.*)$")
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass
class Rendered:
    """One chat message: HTML body and attachments (Adaptive Card, file references)."""

    html: str
    attachments: list[dict[str, Any]] = field(default_factory=list)


def _inline(line: str, markdown: bool) -> str:
    if markdown:
        return formatting.to_html(line)
    return _URL.sub(
        lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(line, quote=False)
    )


def text_to_html(text: str, markdown: bool) -> str:
    """Paragraph lines joined with <br>, runs of bullet lines as a <ul> list."""
    out: list[str] = []
    items: list[str] = []
    lines: list[str] = []

    def flush_lines() -> None:
        if lines:
            out.append("<p>" + "<br>".join(lines) + "</p>")
            lines.clear()

    def flush_items() -> None:
        if items:
            out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in text.split("\n"):
        bullet = _BULLET_LINE.match(raw)
        if bullet and (markdown or raw.lstrip().startswith("•")):
            flush_lines()
            items.append(_inline(bullet.group(1), markdown))
            continue
        flush_items()
        if raw.strip():
            lines.append(_inline(raw, markdown))
        else:
            flush_lines()
    flush_lines()
    flush_items()
    return "".join(out)


def actions_html(t: Translator, actions: tuple[Action, ...]) -> str:
    """The buttons as typed commands: on Teams people answer by typing them. A pure link (no
    command) is written as a link too, so it works where the card is not shown."""
    typed = [a for a in actions if a.command]
    links = [a for a in actions if a.is_link]
    out = ""
    if typed:
        rows = "".join(
            f"<li>{html.escape(a.label)}: <code>{html.escape(a.command)}</code></li>" for a in typed
        )
        out += f"<p>{html.escape(t(N_('Type a command to answer:')))}</p><ul>{rows}</ul>"
    for a in links:
        out += f'<p><a href="{html.escape(a.url or "", quote=True)}">{html.escape(a.label)}</a></p>'
    return out


def adaptive_card(actions: tuple[Action, ...]) -> dict[str, Any] | None:
    """Link buttons for the actions that have a signed answer page; None when none has."""
    linked = [a for a in actions if a.url]
    if not linked:
        return None
    card = {
        "type": "AdaptiveCard",
        "version": "1.4",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "body": [],
        "actions": [{"type": "Action.OpenUrl", "title": a.label, "url": a.url} for a in linked],
    }
    return {"id": uuid.uuid4().hex, "contentType": CARD_TYPE, "content": json.dumps(card)}


def render(t: Translator, message: Outgoing) -> list[Rendered]:
    """The message as one or more Teams messages (long texts are split at line breaks)."""
    chunks = formatting.split(message.text, MAX_PART_CHARS) if message.text else [""]
    parts = [Rendered(text_to_html(chunk, message.markdown)) for chunk in chunks]
    last = parts[-1]
    last.html += actions_html(t, message.actions)
    card = adaptive_card(message.actions)
    if card is not None:
        last.attachments.append(card)
        last.html += f'<attachment id="{card["id"]}"></attachment>'
    return [p for p in parts if p.html or p.attachments]


class _Text(HTMLParser):
    """Text of a Teams message body, without the @mention of the bot's account."""

    def __init__(self, skip_mentions: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = skip_mentions
        self.out: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "at" and dict(attrs).get("id") in self.skip:
            self._skipping += 1
        elif tag in ("br", "p", "div", "li") and self.out:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "at" and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.out.append(data)


def plain_text(body_html: str, content_type: str, own_mention_ids: set[str]) -> str:
    """What the person typed: HTML stripped, the bot's @mention removed, spaces tidied."""
    if content_type.lower() != "html":
        return body_html.strip()
    parser = _Text(own_mention_ids)
    parser.feed(body_html)
    parser.close()
    lines = [
        " ".join(line.replace("\xa0", " ").split()) for line in "".join(parser.out).split("\n")
    ]
    return "\n".join(line for line in lines if line).strip()
