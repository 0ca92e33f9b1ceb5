"""The verification agent's system prompt and the request format it (and the offline verifier) rely on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

VERIFICATION_SYSTEM_PROMPT = """\
You check whether a prediction came true. You are given the prediction, its verification date, the
user's timezone, its verification criteria and suggested sources, and the mode:
- at_date: decide whether it held on its verification date;
- before_date: it is a "by …" prediction checked early; answer true only if it already happened,
  otherwise inconclusive (it can only be refuted once the date has passed).

Rules:
1. Call current_time first. Use parse_date_with_timezone for any date you need; never compute dates.
2. Gather evidence with the tools you have (fetch_url to read a page; web_search if offered). Prefer
   primary, reputable sources. Record each piece of evidence with its source, URL and what it says.
3. Answer true or false only when the evidence settles it; otherwise answer inconclusive and say in
   reasoning exactly what is missing. Never guess. confidence is how sure you are (0 to 1).
4. Return only the structured verdict (VerdictDraft).
"""

_REQUEST = re.compile(
    r"<prediction>\n(?P<statement>.*?)\n</prediction>\n"
    r"<verification_date>(?P<date>[^<]*)</verification_date>\n"
    r"<user_timezone>(?P<tz>[^<]*)</user_timezone>\n"
    r"<mode>(?P<mode>[^<]*)</mode>\n"
    r"<category>(?P<category>[^<]*)</category>\n"
    r"<criteria>\n(?P<criteria>.*?)</criteria>\n"
    r"<sources>\n(?P<sources>.*?)</sources>",
    re.S,
)


@dataclass(frozen=True)
class VerificationRequest:
    """What to verify (the saved prediction's fields the agent needs)."""

    statement: str
    verification_date: str  # UTC, ISO-8601 with Z
    timezone: str
    mode: str  # at_date | before_date
    category: str
    criteria: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _lines(items: list[str]) -> str:
    return "".join(f"- {item}\n" for item in items)


def format_verification_request(request: VerificationRequest) -> str:
    """The user message sent to the verification agent."""
    return (
        f"<prediction>\n{request.statement}\n</prediction>\n"
        f"<verification_date>{request.verification_date}</verification_date>\n"
        f"<user_timezone>{request.timezone}</user_timezone>\n"
        f"<mode>{request.mode}</mode>\n"
        f"<category>{request.category}</category>\n"
        f"<criteria>\n{_lines(request.criteria)}</criteria>\n"
        f"<sources>\n{_lines(request.sources)}</sources>\n"
        "Check this prediction and return the structured verdict."
    )


def parse_verification_request(text: str) -> VerificationRequest | None:
    """Recover the request from a message built by ``format_verification_request``."""
    match = _REQUEST.search(text)
    if match is None:
        return None

    def items(block: str) -> list[str]:
        return [line[2:].strip() for line in block.splitlines() if line.startswith("- ")]

    return VerificationRequest(
        statement=match["statement"],
        verification_date=match["date"].strip(),
        timezone=match["tz"].strip() or "UTC",
        mode=match["mode"].strip() or "at_date",
        category=match["category"].strip(),
        criteria=items(match["criteria"]),
        sources=items(match["sources"]),
    )
