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
        hint = html.escape(t("Type a command to answer:"))
        out += f"<p>{hint}</p><ul>{rows}</ul>"
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


# --- Teams HTML -> the bot's formatting (core.formatting) ---------------------------------

_STYLE = {
    "b": "**",
    "strong": "**",
    "i": "_",
    "em": "_",
    "u": "__",
    "ins": "__",
    "s": "~~",
    "strike": "~~",
    "del": "~~",
    "code": "`",
}
_BLOCK = {"p", "div", "blockquote", "tr", "hr", "ul", "ol", "table"}
_HEADING = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CODE_BLOCK = {"pre", "codeblock"}  # Teams' code blocks are <codeblock><code>…</code></codeblock>
_VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr", "col", "area"}
_SKIP = {"script", "style", "head", "title", "attachment"}
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")


def _safe_url(href: str | None) -> str | None:
    """An http(s) address fit for [text](url), or None (mailto:, javascript:, relative…)."""
    url = (href or "").strip()
    if not re.match(r"https?://[^\s/]", url, re.IGNORECASE):
        return None
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
        .replace('"', "%22")
    )


@dataclass
class _Frame:
    tag: str
    marker: str = ""  # wrapped around the content when the element ends
    url: str | None = None  # a link's address
    mention: bool = False  # the bot's own @mention: dropped
    blank: bool = False  # a paragraph: an empty one stands for an empty line
    parts: list[str] = field(default_factory=list)


class _Markdown(HTMLParser):
    """Teams message HTML as the bot's formatting: styles as markers, paragraphs and line
    breaks as lines, list items as "- " lines, links as [text](url) (http and https only:
    other addresses keep their text), emoji pictures as their character, mentions as names."""

    def __init__(self, skip_mentions: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = skip_mentions
        self.stack: list[_Frame] = [_Frame("")]
        self.lists: list[list[int]] = []  # per open list: [items so far, ordered?]
        self.item_open = False  # a list item's "- " written, nothing after it yet

    # where text goes
    def _write(self, text: str) -> None:
        if any(f.mention for f in self.stack) or any(f.tag in _SKIP for f in self.stack):
            return
        self.stack[-1].parts.append(text)

    def _tail(self) -> str:
        for frame in reversed(self.stack):
            for part in reversed(frame.parts):
                if part:
                    return part[-1]
        return "\n"

    def _newline(self) -> None:
        """Start a new line unless one was just started (blocks do not stack blank lines)."""
        if not self.item_open and self._tail() != "\n":
            self._write("\n")

    def _in(self, tags: set[str]) -> bool:
        return any(f.tag in tags for f in self.stack)

    # the parser's callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "br":
            self.item_open = False
            self._write("\n")
            return
        if tag in ("img", "emoji"):
            kind = f"{a.get('itemtype') or ''} {a.get('class') or ''}".lower()
            if tag == "emoji" or "emoji" in kind:
                self.item_open = False
                self._write(a.get("alt") or "")
            if tag == "img":
                return  # a picture itself comes as a hosted content (files.incoming_files)
        if tag in _VOID:
            if tag == "hr":
                self._newline()
            return
        frame = _Frame(tag)
        if tag == "at":
            frame.mention = a.get("id") in self.skip
        elif tag in _STYLE and not self._in(_CODE_BLOCK | {"code"}):
            if not any(f.marker == _STYLE[tag] for f in self.stack):  # <b><b> is bold once
                frame.marker = _STYLE[tag]
        elif tag == "a":
            frame.url = _safe_url(a.get("href"))
        elif tag in _HEADING:
            self._newline()
            frame.marker = "**" if not self._in(_CODE_BLOCK) else ""
        elif tag in _CODE_BLOCK:
            self._newline()
            frame.marker = "`"
        elif tag in ("ul", "ol"):
            self._newline()
            self.lists.append([0, int(tag == "ol")])
        elif tag == "li":
            self.item_open = False
            self._newline()
            if self.lists:
                self.lists[-1][0] += 1
                count, ordered = self.lists[-1]
                self._write(f"{count}. " if ordered else "- ")
            else:
                self._write("- ")
            self.item_open = True
        elif tag in _BLOCK:
            self._newline()
            frame.blank = tag in ("p", "div")
        elif tag in ("td", "th") and self._tail() not in ("\n", " "):
            self._write(" ")
        self.stack.append(frame)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(f.tag == tag for f in self.stack[1:]):
            return  # a stray end tag
        while True:  # elements left open inside are closed with it
            frame = self.stack.pop()
            self._close(frame)
            if frame.tag == tag:
                break

    def _close(self, frame: _Frame) -> None:
        content = "".join(frame.parts)
        if frame.tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if frame.mention or frame.tag in _SKIP:
            return
        if frame.url is not None:
            label = " ".join(content.replace("]", ")").split()) or frame.url
            content = f"[{label}]({frame.url})"
        elif frame.marker:
            content = _wrap(content, frame.marker)
        was_empty = not content.strip()
        self._write(content)
        if frame.blank and was_empty and not self.item_open:
            self._write("\n")  # <p>&nbsp;</p>: the person left an empty line
        if frame.tag in _BLOCK or frame.tag in _HEADING or frame.tag in _CODE_BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if not self._in(_CODE_BLOCK):
            data = _SPACES.sub(" ", data)
            if self._tail() == "\n" or self.item_open:
                data = data.lstrip(" ")
        else:
            data = data.replace("\xa0", " ").replace("\r", "")
        if data:
            self.item_open = False
            self._write(data)

    def result(self) -> str:
        while len(self.stack) > 1:
            self._close(self.stack.pop())
        lines = [line.strip() for line in "".join(self.stack[0].parts).split("\n")]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _wrap(content: str, marker: str) -> str:
    """Markers around each line's text, spaces outside them (`**bold** next`, not `**bold
    **next`); a code span that would hold a backtick stays plain text."""
    out = []
    for line in content.split("\n"):
        core = line.strip(" ") if marker != "`" else line
        if not core.strip() or (marker == "`" and "`" in core):
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip(" "))] if marker != "`" else ""
        trail = line[len(line.rstrip(" ")) :] if marker != "`" else ""
        out.append(f"{lead}{marker}{core}{marker}{trail}")
    return "\n".join(out)


def teams_markdown(body_html: str, content_type: str, own_mention_ids: set[str]) -> str:
    """What the person wrote, with its formatting in the bot's own subset (core.formatting),
    so an announcement written in Teams keeps bold, italics, lists and links. A command stays
    as it was typed (plain), whatever styling the composer added around it."""
    plain = plain_text(body_html, content_type, own_mention_ids)
    if content_type.lower() != "html" or plain.startswith("/"):
        return plain
    parser = _Markdown(own_mention_ids)
    parser.feed(body_html)
    parser.close()
    return parser.result()
