"""Which language an owner wrote in: ``zh`` when CJK characters carry the text, else ``en``."""

from __future__ import annotations

LANGUAGES = ("en", "zh")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def detect(text: str) -> str:
    """``zh`` if at least a fifth of the letters are CJK ideographs (a Chinese sentence that
    names a code, "P0562 报警", stays Chinese), else ``en``."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    cjk = sum(1 for c in letters if is_cjk(c))
    return "zh" if cjk * 5 >= len(letters) else "en"
