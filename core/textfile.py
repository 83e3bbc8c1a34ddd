"""Text files people save on their own computers (Excel's CSV, "Unicode text", exports from
other tools), decoded whatever the encoding a Polish office is likely to use: UTF-8 (with or
without a BOM), UTF-16 (with a BOM, as Excel writes it, or without), Windows-1250 (Excel on
Polish Windows) and ISO-8859-2 (Latin-2, older Unix tools and web forms).

A generic detector (charset-normalizer, tried) guesses short Polish files wrongly: a line of
ISO-8859-2 comes back as Shift-JIS or CP1252 and one of Windows-1250 as Johab. The five
candidates are few, so the rule here is small and decisive instead:

1. a byte-order mark names the encoding;
2. UTF-16 without a mark shows itself by a zero byte in every other place;
3. valid UTF-8 is UTF-8 (other encodings of Polish text almost never are);
4. otherwise one of the two single-byte Polish encodings. They differ exactly where the
   letters ą ś ź Ą Ś Ź live: Windows-1250 puts ś ź Ś Ź Š Ž at 0x8C–0x9F, where ISO-8859-2 has
   only control characters, so any such byte means Windows-1250; without one, the encoding
   whose reading has more Polish letters wins (ISO-8859-2's ą ś ź at 0xB1 0xB6 0xBC read as
   ± ¶ Ľ in Windows-1250; Windows-1250's ą at 0xB9 reads as š in ISO-8859-2).

Bytes that decode to nothing (Windows-1250 leaves 0x81, 0x83, 0x88, 0x90, 0x98 undefined) or
text that is mostly control characters (a binary file) are refused.
"""

from __future__ import annotations

import codecs

POLISH = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
NAMES = {
    "utf-32": "UTF-32",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "cp1250": "Windows-1250",
    "iso-8859-2": "ISO-8859-2",
}


class UnknownEncoding(ValueError):
    """The bytes are not text in any encoding we read."""


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 shows itself by zero bytes: every other byte of Latin text is one."""
    if len(raw) < 4 or len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    half = len(raw) // 2
    if odd > half * 0.3 and even == 0:
        return "utf-16-le"
    if even > half * 0.3 and odd == 0:
        return "utf-16-be"
    return None


def _single_byte(raw: bytes) -> str:
    if any(0x80 <= byte <= 0x9F for byte in raw):
        return "cp1250"  # ISO-8859-2 has only control characters there
    scores = {}
    for codec in ("iso-8859-2", "cp1250"):
        text = raw.decode(codec, errors="replace")
        scores[codec] = sum(1 for char in text if char in POLISH)
    return "iso-8859-2" if scores["iso-8859-2"] > scores["cp1250"] else "cp1250"


def is_control(char: str) -> bool:
    """A C0 or C1 control character other than tab and line ends."""
    code = ord(char)
    return (code < 0x20 and char not in "\t\r\n") or 0x7F <= code <= 0x9F


def _controls(text: str) -> int:
    return sum(1 for char in text if is_control(char))


def decode(raw: bytes) -> tuple[str, str]:
    """The text and the name of its encoding (as NAMES shows it), or UnknownEncoding."""
    codec = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    codec = codec or _utf16_without_bom(raw)
    if codec is None:
        try:
            raw.decode("utf-8")
            codec = "utf-8"
        except UnicodeDecodeError:
            codec = _single_byte(raw)
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as error:
        raise UnknownEncoding(codec) from error
    if codec in ("utf-16", "utf-32"):
        text = text.removeprefix("\ufeff")
    if _controls(text) > max(8, len(text) // 100):
        raise UnknownEncoding("binary")
    return text, NAMES[codec]
