"""What plain text the app accepts: the rules for one-line fields (titles, names) and
multi-line fields (visions, notes, comments), used by forms, the JSON import and the CLI.

A one-line field ends up in page titles, lists and e-mail subjects, so it may not hold
line breaks, other control characters, characters that are invisible on screen, or
direction overrides that make `abc\u202egnp.exe` read as `abcexe.png`. Tabs are folded
to a space. Right-to-left scripts, the joiners that Persian and emoji sequences need
(U+200C, U+200D) and balanced bidi embeddings and isolates stay allowed.
"""

from __future__ import annotations

import unicodedata

# Invisible characters that carry no meaning in a title and are used to disguise one
# (zero-width space, word joiner, invisible operators, byte order mark, Mongolian vowel
# separator, Hangul fillers). U+200C and U+200D are kept: Persian and emoji need them.
INVISIBLE = frozenset("\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u115f\u1160\u3164\uffa0")
# Line and paragraph separators break a line as surely as LF does.
LINE_BREAKS = frozenset("\u2028\u2029")
# Overrides force a direction on the characters that follow; a title never needs them.
OVERRIDES = frozenset("\u202d\u202e")
EMBEDDINGS = frozenset("\u202a\u202b")  # closed by U+202C
ISOLATES = frozenset("\u2066\u2067\u2068")  # closed by U+2069
POP_EMBEDDING = "\u202c"
POP_ISOLATE = "\u2069"


class TextRefused(ValueError):
    """The text cannot be stored in this field; the message says why, for people."""


def _is_control(char: str) -> bool:
    """C0 controls, DEL and C1 controls."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name.lower()}" if name else "")


def _bidi_problem(value: str) -> str | None:
    """Why the direction controls in value are unsafe, or None when they are balanced."""
    stack: list[str] = []
    for char in value:
        if char in OVERRIDES:
            return "cannot contain characters that reverse the direction of the text"
        if char in EMBEDDINGS or char in ISOLATES:
            stack.append(char)
        elif char == POP_EMBEDDING:
            if not stack or stack[-1] not in EMBEDDINGS:
                return "has a direction mark that closes nothing"
            stack.pop()
        elif char == POP_ISOLATE:
            if not stack or stack[-1] not in ISOLATES:
                return "has a direction mark that closes nothing"
            stack.pop()
    if stack:
        return "has a direction mark that is never closed"
    return None


def single_line_problem(value: str) -> str | None:
    """Why value cannot be a one-line field (a phrase to follow the field's name, such
    as "cannot contain line breaks"), or None when it can. Tabs should have been
    folded by clean_single_line first; a remaining tab counts as a control character."""
    for char in value:
        if char in "\r\n" or char in LINE_BREAKS or char == "\x85":
            return "cannot contain line breaks"
        if _is_control(char):
            return f"cannot contain control characters ({_describe(char)})"
        if char in INVISIBLE:
            return f"cannot contain invisible characters ({_describe(char)})"
    return _bidi_problem(value)


def clean_single_line(value: str) -> str:
    """Fold tabs to spaces and trim: what a one-line field stores once it is accepted."""
    return value.replace("\t", " ").strip()


def check_single_line(value: str, label: str) -> str:
    """The cleaned one-line text, or TextRefused naming the field by its label."""
    cleaned = clean_single_line(value)
    problem = single_line_problem(cleaned)
    if problem:
        raise TextRefused(f"{label} {problem}.")
    return cleaned


def clean_multi_line(value: str) -> str:
    """Multi-line text keeps its line breaks and tabs; NUL characters are dropped
    (PostgreSQL cannot store them and nobody types one)."""
    return value.replace("\x00", "")


def without_controls(value: str) -> str:
    """value with every control character removed: for what the app stores from
    request headers (a browser's User-Agent, the client address), which nobody types."""
    return "".join(char for char in value if not _is_control(char))
