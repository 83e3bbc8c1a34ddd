"""The small formatting subset announcements may use, rendered per platform.

Supported: **bold**, _italic_, [text](https://link), lines starting with "- " or "* " as
bullets. Everything else is text. Rendering escapes HTML first, so user text cannot inject
markup.
"""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w_])_(?!_)(.+?)(?<!_)_(?![\w_])")
_BULLET = re.compile(r"^[ \t]*[-*][ \t]+", re.MULTILINE)


def _link(match: re.Match[str]) -> str:
    url = match.group(2).replace('"', "&quot;")  # already HTML-escaped, quotes aside
    return f'<a href="{url}">{match.group(1)}</a>'


def to_html(text: str) -> str:
    """Telegram's and Teams' HTML subset."""
    out = html.escape(text, quote=False)
    out = _LINK.sub(_link, out)
    out = _BOLD.sub(r"<b>\1</b>", out)
    out = _ITALIC.sub(r"<i>\1</i>", out)
    return _BULLET.sub("• ", out)


def to_plain(text: str) -> str:
    out = _LINK.sub(r"\1 (\2)", text)
    out = _BOLD.sub(r"\1", out)
    out = _ITALIC.sub(r"\1", out)
    return _BULLET.sub("• ", out)


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
