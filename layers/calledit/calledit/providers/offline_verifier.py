"""The offline verifier: a deterministic Strands ``Model`` that checks due predictions without an LLM.

It settles only what the time tools can settle, honestly, and otherwise answers inconclusive saying
what is missing. It drives the real agent loop like a provider would: it streams explanatory text,
asks for ``current_time`` and (for a calendar claim) ``parse_date_with_timezone`` through real
``toolUse`` blocks, reads their results from the conversation, compares what the tool says with
what the statement claims, and finally streams the verdict JSON. When the agent forces a tool
(structured output), it answers with that tool call. It always says what it is; it never guesses.

Calendar claims it settles (case-insensitive; present, past and future tense; ``not`` allowed in
the claim itself), where the date is written out in full with its year ("Christmas 2027",
"1 January 2030", "July 19, 2026", "2027-03-14"):

- weekday: "<date> will fall on / falls on / fell on / is / was / will be (on) a <Weekday>", also
  "it will be a <Weekday> on <date>" and "on <date> it will be a <Weekday>": the resolved **local**
  weekday in the user's timezone is compared with the claimed one;
- year: "it will be <year> by <date>", "by <date>, it will be <year>", "the year will be <year> …":
  the resolved local year is compared with the claimed one.

Anything else (no date, a relative or partial date, other dates or a negation around the claim,
prices, sports, weather, personal claims, a failed tool) is inconclusive with confidence 0 and no
evidence. A "by …" prediction checked early (mode ``before_date``, date not yet passed) is never
refuted: a claim the calendar contradicts stays inconclusive until its date has passed.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from strands.types.content import Messages
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolChoice, ToolSpec

from calledit.prediction import VerifiableCategory
from calledit.providers.heuristics import classify
from calledit.providers.offline_base import OfflineModel, ToolCall, ToolTranscript, forced_tool
from calledit.timeparse import HOLIDAYS, MONTHS, WEEKDAYS, find_date_phrase
from calledit.verification.prompting import VerificationRequest, parse_verification_request

OFFLINE_VERIFIER_NAME = "offline-verifier"
TIME_TOOL_SOURCE = "parse_date_with_timezone (CalledIt time tool)"
NO_WEB_ACCESS = (
    "the offline verifier has no web access — configure a model and a search provider, or judge it yourself"
)
INTRO = "Offline verifier (no LLM, no web access): I can settle calendar facts with the time tools only."
MAX_REASONING_CHARS = 2_000
T = TypeVar("T", bound=BaseModel)

_MARK = "\x00"  # stands for the date phrase in the statement while the claim is read

# --- What a checkable date looks like: written out in full, with its year -----------------------
_YEAR = r"(?:19|20|21)\d{2}"
_MONTH = (
    r"(?:" + "|".join(MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)  # "may" is in MONTHS
_DAY_NUMBER = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
# Fixed-date holidays only; "independence day" is a different day in every country.
_FIXED_HOLIDAYS = "|".join(
    re.escape(name).replace("'", "'?")
    for name in sorted(HOLIDAYS, key=len, reverse=True)
    if name != "independence day"
)
_CLOCK = r"(?:noon|midnight|\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2})"
_ONE_DAY = (
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}"  # ISO date, no time and no offset
    rf"|{_MONTH}\s+{_DAY_NUMBER},?\s+{_YEAR}"  # July 19, 2026
    rf"|{_DAY_NUMBER}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}"  # 1 January 2030
    rf"|(?:{_FIXED_HOLIDAYS})(?:\s+day)?,?\s+{_YEAR})"  # Christmas 2027
)
_PERIOD = (
    rf"(?:{_YEAR}|{_MONTH},?\s+{_YEAR}"
    rf"|(?:q[1-4]|h[12]|(?:first|second|third|fourth)\s+quarter|(?:first|second)\s+half)\s+(?:of\s+)?{_YEAR})"
)
# A weekday claim needs one day; a year claim any absolute date or period, with a deadline lead.
_DAY_PHRASE = re.compile(rf"(?:on\s+)?(?:the\s+)?{_ONE_DAY}(?:,?\s+at\s+{_CLOCK})?", re.I)
_ABSOLUTE_PHRASE = re.compile(
    r"(?:(?:by|before|until|till|no\s+later\s+than|not\s+later\s+than|on|in|at|during)\s+)?"
    r"(?:the\s+)?(?:end\s+of\s+(?:the\s+)?)?"
    rf"(?:{_ONE_DAY}|{_PERIOD})(?:,?\s+at\s+{_CLOCK})?",
    re.I,
)

# --- How a claim is worded ------------------------------------------------------------------------
_WEEKDAY = r"(?P<day>" + "|".join(WEEKDAYS) + r")"
_DAY_NEG = (
    r"is\s+not|isn't|was\s+not|wasn't|will\s+not\s+(?:be|fall|land)|won't\s+(?:be|fall|land)"
    r"|(?:does|did)\s+not\s+(?:fall|land)|(?:doesn't|didn't)\s+(?:fall|land)"
)
_DAY_POS = r"is|was|will\s+be|'ll\s+be|would\s+be|falls|fell|will\s+fall|lands|landed|will\s+land"
_DAY_VERB = rf"(?:(?P<neg>{_DAY_NEG})|(?P<pos>{_DAY_POS}))(?:\s+on)?(?:\s+an?)?\s+{_WEEKDAY}\b"
_IT = r"(?:it\s*|the\s+year\s+)"  # the subject of a year claim ("it'll be" has no space)
_YEAR_NEG = r"will\s+not\s+(?:yet\s+)?be|won't\s+(?:yet\s+)?be|is\s+not|isn't|was\s+not|wasn't"
_YEAR_POS = r"will\s+(?:already\s+)?be|'ll\s+be|will\s+have\s+become|is|was"
_YEAR_VERB = rf"(?:(?P<neg>{_YEAR_NEG})|(?P<pos>{_YEAR_POS}))\s+(?:the\s+year\s+)?(?P<year>{_YEAR})\b"
_CLAIMS: tuple[tuple[Literal["weekday", "year"], re.Pattern[str]], ...] = (
    # "Christmas 2027 will fall on a Saturday", "The final (July 19, 2026) will be on a Sunday",
    # "On Christmas 2027 it will be a Saturday"
    ("weekday", re.compile(rf"{_MARK}[\s,)]*(?:it\s*)?{_DAY_VERB}", re.I)),
    # "It will be a Saturday on Christmas 2027"
    ("weekday", re.compile(rf"\bit\s*{_DAY_VERB}[\s,]*{_MARK}", re.I)),
    # "By 2028-01-01, it will be 2028", "It will be 2027 by March 2027", "The year will be 2027 …"
    ("year", re.compile(rf"{_MARK}[\s,]*{_IT}{_YEAR_VERB}", re.I)),
    ("year", re.compile(rf"\b{_IT}{_YEAR_VERB}[\s,]*{_MARK}", re.I)),
)
_NEGATION = re.compile(
    r"\b(?:not|never|no|none|neither|nor|false|untrue|wrong|doubt|doubts|unlikely|unless|if)\b|n't\b", re.I
)
_OTHER_TIME = re.compile(
    r"\b(?:"
    + "|".join(WEEKDAYS)
    + r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|"
    + "|".join(MONTHS)
    + r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    r"|today|tonight|tomorrow|yesterday|now|next|last|previous|following|ago|since|before|after"
    r"|until|till|later|earlier|eve|days?|weeks?|weekends?|fortnights?|months?|years?|hours?"
    r"|minutes?|noon|midnight|christmas|xmas|halloween|easter|thanksgiving|valentine'?s?|independence"
    r"|new\s+year'?s?|leap|calendar|timezone|utc|gmt)\b"
    r"|\d{4}-\d{2}-\d{2}|\b\d{1,2}[:/]\d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)\b|\b\d{1,2}\s*(?:am|pm)\b",
    re.I,
)
_YEARS = re.compile(rf"\b{_YEAR}\b")


@dataclass(frozen=True)
class CalendarClaim:
    """A calendar fact stated by a prediction: which date, what is claimed about it, and how."""

    kind: Literal["weekday", "year"]
    phrase: str  # the date phrase exactly as written ("Christmas 2027")
    claimed: str  # "Saturday" or "2027"
    negated: bool  # "… will not fall on a Saturday"

    def describe(self) -> str:
        """The claim in plain words."""
        neg = " not" if self.negated else ""
        if self.kind == "weekday":
            return f"“{self.phrase}” is{neg} a {self.claimed}"
        return f"it is{neg} {self.claimed} at “{self.phrase}”"


def read_claim(statement: str) -> tuple[CalendarClaim | None, str]:
    """The calendar claim ``statement`` makes, or None and why it makes none the tools can settle.

    It must be unambiguous: exactly one claim, about the one written-out date in the statement,
    with no other date, time or negation around it.
    """
    text = statement.replace("’", "'").replace("‘", "'")
    phrase = find_date_phrase(text)
    if phrase is None:
        return None, "the statement names no date"
    start = text.find(phrase)
    masked = f"{text[:start]}{_MARK}{text[start + len(phrase) :]}"
    found = [(kind, m) for kind, pattern in _CLAIMS for m in pattern.finditer(masked)]
    if not found:
        return None, "it is not a calendar fact (a weekday or a year) the time tools can settle"
    if len(found) > 1:
        return None, "it makes more than one calendar claim, so which one to check is ambiguous"
    kind, match = found[0]
    shape = _DAY_PHRASE if kind == "weekday" else _ABSOLUTE_PHRASE
    if shape.fullmatch(phrase.strip()) is None:
        what = "one calendar day" if kind == "weekday" else "an absolute date or period"
        return None, (
            f"“{phrase}” is not {what} written out with its year; relative, partial, "
            "country-dependent or otherwise ambiguous dates are not settled offline"
        )
    rest = (masked[: match.start()] + " " + masked[match.end() :]).replace(_MARK, " ")
    if _NEGATION.search(rest):
        return None, "its wording around the claim (a negation or a condition) is ambiguous"
    phrase_years = set(_YEARS.findall(phrase))
    stray_years = set(_YEARS.findall(rest)) - phrase_years
    if _OTHER_TIME.search(_YEARS.sub(" ", rest)) or stray_years:
        return None, (
            f"it mentions other dates or times besides “{phrase}”, so which date the claim is about "
            "is ambiguous"
        )
    claimed = match["day"].title() if kind == "weekday" else match["year"]
    return CalendarClaim(kind, phrase, claimed, negated=match["neg"] is not None), ""


class _Transcript(ToolTranscript):
    """What the conversation so far tells the model: the request and the tool results."""

    def __init__(self, messages: Messages) -> None:
        super().__init__(messages)
        first_text = self.user_texts[0] if self.user_texts else None
        request = parse_verification_request(first_text) if first_text is not None else None
        # A bare prompt (e.g. a direct model test): it is the statement.
        self.request: VerificationRequest = request or VerificationRequest(
            statement=(first_text or "").strip(),
            verification_date="",
            timezone="UTC",
            mode="at_date",
            category="",
        )

    def failure(self, tool: str) -> str:
        """Why ``tool`` gave no usable result, in a few words."""
        status, payload = self.results.get(tool, ("missing", None))
        if status == "missing":
            return f"{tool} was not called (the tool was not offered)"
        if status == "success":
            return f"{tool} returned an unreadable result"
        return f"{tool} failed: {_clip(str(payload or 'no details'), 300)}"


class OfflineVerifierModel(OfflineModel):
    """Deterministic, calendar-only stand-in for an LLM verifier; labelled ``offline-verifier``."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__(OFFLINE_VERIFIER_NAME, delay_s)

    async def structured_output(
        self, output_model: type[T], prompt: Messages, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, T | Any], None]:
        """Build the verdict from the conversation and validate it into ``output_model``."""
        yield {"output": output_model.model_validate(build_verdict(_Transcript(prompt)))}

    async def stream(
        self,
        messages: Messages,
        tool_specs: list[ToolSpec] | None = None,
        system_prompt: str | None = None,
        *,
        tool_choice: ToolChoice | None = None,
        cancel_signal: threading.Event | None = None,
        **kwargs: Any,
    ) -> AsyncIterable[StreamEvent]:
        """Take the next step of the verification as a stream of Converse-style events."""
        transcript = _Transcript(messages)
        request = transcript.request
        offered = {spec["name"] for spec in tool_specs or []}
        claim, _ = read_claim(request.statement)
        forced = forced_tool(tool_choice)
        text: str
        tool: ToolCall | None = None

        if forced is not None:
            text, tool = "", (forced, build_verdict(transcript))
        elif transcript.attempts("current_time") == 0 and "current_time" in offered:
            text = f"{INTRO} First I check the current time in {request.timezone}.\n"
            tool = ("current_time", {"timezone": request.timezone})
        elif (
            claim is not None
            and transcript.ok("current_time") is not None
            and transcript.attempts("parse_date_with_timezone") == 0
            and "parse_date_with_timezone" in offered
        ):
            now = transcript.ok("current_time") or {}
            text = (
                f"It is {now.get('weekday', '')} {now.get('local', '')} in {request.timezone}. "
                f"The statement makes a calendar claim: {claim.describe()}. "
                f"Resolving “{claim.phrase}” in {request.timezone}.\n"
            )
            tool_input: dict[str, Any] = {"date_text": claim.phrase, "timezone": request.timezone}
            if now.get("local"):
                tool_input["reference"] = now["local"]
            tool = ("parse_date_with_timezone", tool_input)
        else:
            verdict = build_verdict(transcript)
            text = (
                f"Verdict: {verdict['outcome']} (confidence {verdict['confidence']:.1f}). "
                f"{verdict['reasoning']}\n"
                f"```json\n{json.dumps(verdict, indent=2, ensure_ascii=False)}\n```\n"
            )

        # Ids derive from the transcript so a run is fully deterministic.
        tool_use_id = f"{OFFLINE_VERIFIER_NAME}-{len(transcript.calls) + 1}"
        async for event in self.emit(text, tool, tool_use_id, cancel_signal):
            yield event


def build_verdict(transcript: _Transcript) -> dict[str, Any]:
    """The verdict (a ``VerdictDraft`` dict) from the statement and the time tools' results."""
    request = transcript.request
    claim, why_not = read_claim(request.statement)
    if claim is None:
        return _inconclusive(request, f"The offline verifier cannot settle this: {why_not}.")
    now = transcript.ok("current_time")
    if now is None or not now.get("utc"):
        return _inconclusive(
            request,
            f"The current time is unknown ({transcript.failure('current_time')}), so nothing was checked.",
        )
    resolved = transcript.ok("parse_date_with_timezone")
    local = _local(resolved)
    if resolved is None or local is None:
        why = transcript.failure("parse_date_with_timezone") if resolved is None else "its result had no date"
        return _inconclusive(
            request, f"Resolving “{claim.phrase}” did not work ({why}), so nothing was checked."
        )
    zone = str(resolved.get("timezone") or request.timezone)
    weekday = local.strftime("%A")
    if claim.kind == "weekday":
        written_years = set(_YEARS.findall(claim.phrase))
        if resolved.get("weekday") != weekday or written_years != {str(local.year)}:
            return _inconclusive(
                request,
                f"The time tool resolved “{claim.phrase}” to {local:%Y-%m-%d}, which does not match the "
                "date as written, so I will not judge it.",
            )
        holds = weekday == claim.claimed
        fact = f"“{claim.phrase}” is a {weekday} in {zone} (local date {local:%Y-%m-%d})"
    else:
        holds = str(local.year) == claim.claimed
        fact = f"“{claim.phrase}” resolves to {local:%Y-%m-%d %H:%M:%S} in {zone}, which is in {local.year}"
    outcome = holds != claim.negated
    evidence = {
        "source": TIME_TOOL_SOURCE,
        "url": None,
        "finding": _clip(
            f"“{claim.phrase}” resolves to {local:%Y-%m-%d} in {zone}, a {weekday}. "
            f"{resolved.get('reasoning') or ''}".strip(),
            MAX_REASONING_CHARS,
        ),
        "retrieved_at": now["utc"],
    }
    said = f"The statement says {claim.describe()}. The time tool shows {fact}"
    if not outcome and request.mode == "before_date" and resolved.get("in_past") is not True:
        return {
            "outcome": "inconclusive",
            "confidence": 0.0,
            "evidence": [evidence],
            "reasoning": _clip(
                f"{said}, so the claim does not hold as written. But this is a “by” prediction checked "
                "before its date, and it can only be refuted once that date has passed; it stays open "
                "until then.",
                MAX_REASONING_CHARS,
            ),
        }
    return {
        "outcome": "true" if outcome else "false",
        "confidence": 1.0,
        "evidence": [evidence],
        "reasoning": _clip(
            f"{said}, so the statement is {'true' if outcome else 'false'}. This is a calendar fact, "
            "settled by the time tool alone.",
            MAX_REASONING_CHARS,
        ),
    }


def _local(resolved: dict[str, Any] | None) -> datetime | None:
    try:
        value = datetime.fromisoformat(str((resolved or {}).get("local") or ""))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _inconclusive(request: VerificationRequest, why: str) -> dict[str, Any]:
    reasoning = f"{why} It needs {_needs(request)}; {NO_WEB_ACCESS}."
    return {
        "outcome": "inconclusive",
        "confidence": 0.0,
        "evidence": [],
        "reasoning": _clip(reasoning, MAX_REASONING_CHARS),
    }


_NEEDS_BY_CATEGORY = {
    VerifiableCategory.AGENT_VERIFIABLE.value: "a reliable reference source",
    VerifiableCategory.CURRENT_TOOL_VERIFIABLE.value: (
        "a calendar fact stated plainly (a written-out date and the weekday or year claimed for it)"
    ),
    VerifiableCategory.STRANDS_TOOL_VERIFIABLE.value: (
        "current information from the web (news or official pages)"
    ),
    VerifiableCategory.API_TOOL_VERIFIABLE.value: (
        "data from an external source (market prices, sports results, weather observations or "
        "election results)"
    ),
    VerifiableCategory.HUMAN_VERIFIABLE_ONLY.value: "your own judgement (only you know whether it happened)",
}


def _needs(request: VerificationRequest) -> str:
    """The kind of source that would settle it: the request's sources, else its category's."""
    sources = [s for s in request.sources if s.strip()][:3]
    if not sources and request.category in _NEEDS_BY_CATEGORY:
        return _NEEDS_BY_CATEGORY[request.category]
    if not sources:
        sources = list(classify(request.statement).sources)[:3]
    return " or ".join(_lower_first(s.strip().rstrip(".")) for s in sources)


_COMMON_FIRST_WORDS = frozenset(
    {"a", "an", "the", "any", "official", "public", "historical", "current", "data", "news", "your"}
)


def _lower_first(text: str) -> str:
    """Mid-sentence case for a source that opens with a common word; names keep their capital."""
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first.lower() in _COMMON_FIRST_WORDS else text


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
