"""Input limits shared by every entry point (CLI, WebSocket, REST)."""

from __future__ import annotations

from functools import lru_cache

import pytz

from calledit.errors import BadInput, ErrorCode

MAX_PROMPT_CHARS = 2_000
MAX_FRAME_BYTES = 32 * 1024  # API Gateway WebSocket frame limit
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway WebSocket message limit
MAX_SEQ = 2**31 - 1
MAX_BODY_BYTES = 16 * 1024  # REST request bodies
MAX_NOTE_CHARS = (
    1_000  # an outcome note  # frame numbers fit a 32-bit int in every client (and DynamoDB's Number)
)


@lru_cache(maxsize=1024)
def check_timezone(name: str) -> str:
    """Return the canonical IANA name, or raise ``BadInput`` for an unknown zone.

    pytz carries its own tz database, so results do not depend on the OS's tzdata.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise BadInput("timezone must be an IANA name such as 'Europe/Paris'")
    try:
        return str(pytz.timezone(name.strip()).zone)
    except pytz.UnknownTimeZoneError:
        raise BadInput(
            f"unknown timezone {name.strip()!r}: use an IANA name such as 'Europe/Paris'"
        ) from None


def check_prompt(prompt: str) -> str:
    """Strip the prompt and enforce 1..MAX_PROMPT_CHARS characters."""
    text = prompt.strip()
    if not text:
        raise BadInput("the prediction is empty: type what you expect to happen")
    if len(text) > MAX_PROMPT_CHARS:
        raise BadInput(
            f"the prediction is {len(text)} characters; the limit is {MAX_PROMPT_CHARS}",
            ErrorCode.TOO_LARGE,
        )
    return text
