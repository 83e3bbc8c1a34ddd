"""The small formatting subset announcements may use, rendered per platform.

Supported: **bold**, _italic_, __underline__, ~~strikethrough~~, `code`, [text](https://link),
lines starting with "- " or "* " as bullets. Everything else is text. Rendering escapes HTML
first, so user text cannot inject markup; inside `code` nothing else is formatting. A backslash
before one of the syntax characters shows it literally: `escape()` makes text from outside
(feed and portal titles, funders, names) show as typed in a message marked markdown. People on
Telegram type it; messages written with Teams' toolbar are converted to it
(bot.transports.teams.render.teams_markdown).
"""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_UNDERLINE = re.compile(r"(?<![\w_])__(?!_)(.+?)(?<!_)__(?![\w_])")
_ITALIC = re.compile(r"(?<![\w_])_(?!_)(.+?)(?<!_)_(?![\w_])")
_STRIKE = re.compile(r"~~(.+?)~~")
_BULLET = re.compile(r"^[ \t]*[-*][ \t]+", re.MULTILINE)
_SLOT = re.compile("\ue000([0-9]+)\ue001")  # a code span set aside (private-use brackets)
_ESCAPED_OR_CODE = re.compile(r"\\([\\\[\]()*_`~-])|`([^`\n]+)`")
_TO_ESCAPE = re.compile(r"[\\\[\]*_`~]")
_LEADING_DASH = re.compile(r"^([ \t]*)-", re.MULTILINE)


def escape(text: str) -> str:
    """Outside text as literal text in a message marked markdown: every syntax character
    (brackets, `*`, `_`, `` ` ``, `~`, a backslash, a leading `-`) is preceded
    by a backslash, which to_html and to_plain drop."""
    return _LEADING_DASH.sub(r"\1\\-", _TO_ESCAPE.sub(lambda m: "\\" + m.group(0), text))


def _set_aside(text: str, render: str) -> tuple[str, list[str]]:
    """Code spans and escaped characters out of the way of the other rules, rendered already
    (whichever starts first: a backslash inside a code span is the code's)."""
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        if match.group(1) is not None:  # an escaped syntax character: itself
            spans.append(html.escape(match.group(1), quote=False) if render else match.group(1))
        else:
            inner = match.group(2)
            spans.append(f"<code>{html.escape(inner, quote=False)}</code>" if render else inner)
        return f"\ue000{len(spans) - 1}\ue001"

    cleaned = text.replace("\ue000", "").replace("\ue001", "")
    return _ESCAPED_OR_CODE.sub(keep, cleaned), spans


def _put_back(text: str, spans: list[str]) -> str:
    return _SLOT.sub(lambda m: spans[int(m.group(1))], text)


def _link(match: re.Match[str]) -> str:
    url = match.group(2).replace('"', "&quot;")  # already HTML-escaped, quotes aside
    return f'<a href="{url}">{match.group(1)}</a>'


def to_html(text: str) -> str:
    """Telegram's and Teams' HTML subset."""
    out, spans = _set_aside(text, "html")
    out = html.escape(out, quote=False)
    out = _LINK.sub(_link, out)
    out = _BOLD.sub(r"<b>\1</b>", out)
    out = _UNDERLINE.sub(r"<u>\1</u>", out)
    out = _ITALIC.sub(r"<i>\1</i>", out)
    out = _STRIKE.sub(r"<s>\1</s>", out)
    return _put_back(_BULLET.sub("• ", out), spans)


def _plain_link(match: re.Match[str]) -> str:
    label, url = match.group(1), match.group(2)
    return url if label == url else f"{label} ({url})"


def to_plain(text: str) -> str:
    out, spans = _set_aside(text, "")
    out = _LINK.sub(_plain_link, out)
    out = _BOLD.sub(r"\1", out)
    out = _UNDERLINE.sub(r"\1", out)
    out = _ITALIC.sub(r"\1", out)
    out = _STRIKE.sub(r"\1", out)
    return _put_back(_BULLET.sub("• ", out), spans)


def split(text: str, limit: int) -> list[str]:
    """Split at line breaks (or hard, for a monster line) so each part fits the limit."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
