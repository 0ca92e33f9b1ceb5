"""The agent's time tools. Failures come back as error tool results the model can read, never as
exceptions that would end the agent run."""

from __future__ import annotations

from typing import Any

from strands import tool

from calledit import timeparse
from calledit.errors import BadInput
from calledit.tool_results import tool_error, tool_ok


@tool
def current_time(timezone: str = "UTC") -> dict[str, Any]:
    """Get the current date and time in a timezone.

    Call this first so relative dates ("tomorrow", "next Friday") are resolved against the
    user's real today.

    Args:
        timezone: IANA timezone name of the user, for example "Europe/Paris" or "America/New_York".

    Returns:
        The local time (ISO-8601 with offset), the UTC time, the weekday and whether DST is in effect.
    """
    try:
        return tool_ok(timeparse.current_time(timezone))
    except BadInput as exc:
        return tool_error(exc.message)


@tool
def parse_date_with_timezone(
    date_text: str, timezone: str = "UTC", reference: str | None = None
) -> dict[str, Any]:
    """Resolve a time phrase from a prediction into an exact verification date.

    Understands absolute and relative phrases such as "by March 2027" (end of March 2027),
    "tomorrow at 3pm", "next Friday", "within 2 weeks", "end of the year", "Q3 2027", "tonight",
    "in 6 months" and ISO dates. Periods resolve to their last second (23:59:59 local).

    Args:
        date_text: The time phrase exactly as it appears in the prediction, e.g. "by March 2027".
        timezone: IANA timezone name of the user, e.g. "Europe/Paris".
        reference: Optional ISO-8601 date-time with offset to resolve relative phrases against
            (use the local time from current_time); defaults to now.

    Returns:
        The resolved local and UTC date-times, whether it is a deadline or an instant, whether it
        is already in the past, and a one-sentence reasoning to quote in date_reasoning.
    """
    try:
        return tool_ok(timeparse.resolve_date(date_text, timezone, reference).to_dict())
    except BadInput as exc:
        return tool_error(exc.message)


TIME_TOOLS = (current_time, parse_date_with_timezone)
