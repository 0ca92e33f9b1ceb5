"""The offline verifier drives a real Strands agent with the real time tools: calendar facts only."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from strands import Agent
from strands.hooks import AfterToolCallEvent, HookProvider, HookRegistry
from strands.types.content import Messages

from calledit import timeparse
from calledit.clock import frozen_at
from calledit.providers.offline_verifier import (
    INTRO,
    NO_WEB_ACCESS,
    OFFLINE_VERIFIER_NAME,
    TIME_TOOL_SOURCE,
    OfflineVerifierModel,
    read_claim,
)
from calledit.tools import current_time, parse_date_with_timezone
from calledit.verdict import VerdictDraft
from calledit.verification.prompting import (
    VERIFICATION_SYSTEM_PROMPT,
    VerificationRequest,
    format_verification_request,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NOW_Z = "2026-05-01T12:00:00Z"
CALENDAR = "current_tool_verifiable"


class ToolLog(HookProvider):
    """Records every tool call the agent ran: (name, input, status)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []

    def register_hooks(self, registry: HookRegistry, **kwargs: Any) -> None:
        registry.add_callback(AfterToolCallEvent, self._after)

    def _after(self, event: AfterToolCallEvent) -> None:
        use = event.tool_use
        self.calls.append((use["name"], dict(use["input"]), str(event.result.get("status"))))


@dataclass
class Run:
    verdict: VerdictDraft
    calls: list[tuple[str, dict[str, Any], str]]
    messages: Messages
    text: str = field(default="")


def verify(
    statement: str,
    timezone: str = "UTC",
    *,
    mode: str = "at_date",
    category: str = CALENDAR,
    sources: list[str] | None = None,
    now: datetime = NOW,
    model: OfflineVerifierModel | None = None,
) -> Run:
    request = VerificationRequest(
        statement=statement,
        verification_date="2027-12-31T23:59:59Z",
        timezone=timezone,
        mode=mode,
        category=category,
        criteria=[f"The statement is true as written: “{statement}”"],
        sources=sources or [],
    )
    log = ToolLog()
    agent = Agent(
        model=model or OfflineVerifierModel(),
        tools=[current_time, parse_date_with_timezone],
        system_prompt=VERIFICATION_SYSTEM_PROMPT,
        structured_output_model=VerdictDraft,
        callback_handler=None,
        hooks=[log],
    )
    with frozen_at(now):
        result = agent(format_verification_request(request))
    verdict = result.structured_output
    assert isinstance(verdict, VerdictDraft)
    text = "".join(
        block.get("text", "") for m in agent.messages if m["role"] == "assistant" for block in m["content"]
    )
    return Run(VerdictDraft.model_validate(verdict.model_dump()), log.calls, agent.messages, text)


@pytest.mark.parametrize(
    ("statement", "timezone", "outcome", "phrase", "local_date", "weekday"),
    [
        # true weekday claims
        (
            "Christmas 2027 will fall on a Saturday",
            "Europe/Paris",
            "true",
            "Christmas 2027",
            "2027-12-25",
            "Saturday",
        ),
        ("1 January 2030 is a Tuesday", "Asia/Tokyo", "true", "1 January 2030", "2030-01-01", "Tuesday"),
        (
            "The 2026 World Cup final (July 19, 2026) will be on a Sunday",
            "America/New_York",
            "true",
            "July 19, 2026",
            "2026-07-19",
            "Sunday",
        ),
        ("Christmas 2025 fell on a Thursday", "UTC", "true", "Christmas 2025", "2025-12-25", "Thursday"),
        (
            "It will be a Saturday on Christmas 2027",
            "UTC",
            "true",
            "on Christmas 2027",
            "2027-12-25",
            "Saturday",
        ),
        # false weekday claims (wrong day), and a negated one
        (
            "Christmas 2027 will fall on a Friday",
            "Europe/Paris",
            "false",
            "Christmas 2027",
            "2027-12-25",
            "Saturday",
        ),
        ("1 January 2030 IS A WEDNESDAY", "Asia/Tokyo", "false", "1 January 2030", "2030-01-01", "Tuesday"),
        (
            "Christmas 2027 won't fall on a Saturday",
            "UTC",
            "false",
            "Christmas 2027",
            "2027-12-25",
            "Saturday",
        ),
        # leap day
        ("Feb 29, 2028 is a Tuesday", "Europe/London", "true", "Feb 29, 2028", "2028-02-29", "Tuesday"),
        (
            "February 29, 2028 will be a Wednesday",
            "UTC",
            "false",
            "February 29, 2028",
            "2028-02-29",
            "Tuesday",
        ),
        # DST-sensitive local days near midnight: the LOCAL weekday counts, not the UTC one.
        # 14 March 2027 is the spring-forward day in Los Angeles; its end (23:59:59 PDT) is Monday in UTC.
        ("2027-03-14 is a Sunday", "America/Los_Angeles", "true", "2027-03-14", "2027-03-14", "Sunday"),
        ("2027-03-14 is a Monday", "America/Los_Angeles", "false", "2027-03-14", "2027-03-14", "Sunday"),
        (
            "March 14, 2027 at 11:30pm will be a Sunday",
            "America/Los_Angeles",
            "true",
            "March 14, 2027 at 11:30pm",
            "2027-03-14",
            "Sunday",
        ),
        # 00:30 on New Year's Day in Auckland (NZDT, UTC+13) is still 31 December (a Monday) in UTC.
        (
            "January 1, 2030 at 12:30am is a Tuesday",
            "Pacific/Auckland",
            "true",
            "January 1, 2030 at 12:30am",
            "2030-01-01",
            "Tuesday",
        ),
        # year claims
        ("It will be 2027 by March 2027", "Europe/Paris", "true", "by March 2027", "2027-03-31", "Wednesday"),
        ("By 2028-01-01, it'll be 2028.", "Asia/Kolkata", "true", "By 2028-01-01", "2028-01-01", "Saturday"),
        ("It will be 2028 by the end of 2027", "UTC", "false", "by the end of 2027", "2027-12-31", "Friday"),
        ("It will be 2028 before 2028", "UTC", "false", "before 2028", "2027-12-31", "Friday"),
    ],
)
def test_calendar_claims_are_settled_by_the_time_tools(
    statement: str, timezone: str, outcome: str, phrase: str, local_date: str, weekday: str
) -> None:
    run = verify(statement, timezone)
    verdict = run.verdict
    assert verdict.outcome == outcome
    assert verdict.confidence == 1.0
    assert [(name, status) for name, _, status in run.calls] == [
        ("current_time", "success"),
        ("parse_date_with_timezone", "success"),
        ("VerdictDraft", "success"),  # the structured output tool Strands forced
    ]
    assert run.calls[0][1] == {"timezone": timezone}
    assert run.calls[1][1] == {
        "date_text": phrase,
        "timezone": timezone,
        "reference": timeparse.current_time(timezone, NOW)["local"],  # today in the user's zone
    }
    [evidence] = verdict.evidence
    assert evidence.source == TIME_TOOL_SOURCE and evidence.url is None
    assert evidence.finding.startswith(f"“{phrase}” resolves to {local_date} in {timezone}, a {weekday}.")
    assert evidence.retrieved_at == NOW
    assert outcome in verdict.reasoning and phrase in verdict.reasoning


def test_the_weekday_is_the_local_one_even_when_utc_is_already_the_next_day() -> None:
    run = verify("2027-03-14 is a Sunday", "America/Los_Angeles")
    results = [b["toolResult"] for m in run.messages for b in m["content"] if "toolResult" in b]
    resolved = results[1]["content"][0]["json"]
    assert resolved["utc"] == "2027-03-15T06:59:59Z"  # a Monday in UTC
    assert resolved["weekday"] == "Sunday"
    assert run.verdict.outcome == "true"


@pytest.mark.parametrize(
    ("statement", "category", "sources", "missing"),
    [
        (
            "The S&P 500 will close above 7000 on 2027-03-31",
            "api_tool_verifiable",
            ["Official exchange or index provider closing data"],
            "official exchange or index provider closing data",
        ),
        ("I will run a marathon by March 2027", "human_verifiable_only", [], "your own judgement"),
        (
            "It will rain in Paris on July 19, 2026",
            "api_tool_verifiable",
            ["Météo-France observations for Paris"],
            "Météo-France observations for Paris",
        ),
        ("Something vague will happen", "human_verifiable_only", [], "your own judgement"),
        (
            "Python 4 will be released by 2030",
            "strands_tool_verifiable",
            [],
            "current information from the web",
        ),
    ],
)
def test_what_the_time_tools_cannot_settle_is_inconclusive_and_says_what_is_missing(
    statement: str, category: str, sources: list[str], missing: str
) -> None:
    run = verify(statement, "Europe/Paris", category=category, sources=sources)
    verdict = run.verdict
    assert (verdict.outcome, verdict.confidence, verdict.evidence) == ("inconclusive", 0.0, [])
    assert f"It needs {missing}" in verdict.reasoning
    assert NO_WEB_ACCESS in verdict.reasoning
    assert [name for name, _, _ in run.calls] == ["current_time", "VerdictDraft"]  # nothing to resolve


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("Tomorrow is a Saturday", "“Tomorrow” is not one calendar day written out with its year"),
        ("March 15 will be a Monday", "“March 15” is not one calendar day written out with its year"),
        ("Thanksgiving 2026 will be on a Thursday", "country-dependent"),
        ("Christmas 2027 will be a Saturday or a Sunday", "mentions other dates or times"),
        ("3 days after Christmas 2027 is a Tuesday", "mentions other dates or times"),
        (
            "It is not true that Christmas 2027 falls on a Saturday",
            "(a negation or a condition) is ambiguous",
        ),
        ("Christmas 2027 may fall on a Saturday", "not a calendar fact"),
        ("It will be 2027 in 2 months", "“in 2 months” is not an absolute date"),
        ("I will be on a Saturday flight on Christmas 2027", "not a calendar fact"),
        ("Bitcoin will be 2027 by March 2027", "not a calendar fact"),
    ],
)
def test_ambiguous_calendar_wording_is_never_guessed(statement: str, why: str) -> None:
    run = verify(statement, "Europe/Paris")
    verdict = run.verdict
    assert (verdict.outcome, verdict.confidence, verdict.evidence) == ("inconclusive", 0.0, [])
    assert why in verdict.reasoning
    assert "parse_date_with_timezone" not in [name for name, _, _ in run.calls]


def test_before_date_never_refutes_before_the_date_but_keeps_the_evidence() -> None:
    run = verify("Christmas 2027 will fall on a Friday", "Europe/Paris", mode="before_date")
    verdict = run.verdict
    assert (verdict.outcome, verdict.confidence) == ("inconclusive", 0.0)
    assert verdict.evidence[0].finding.startswith(
        "“Christmas 2027” resolves to 2027-12-25 in Europe/Paris, a Saturday"
    )
    assert "can only be refuted once that date has passed" in verdict.reasoning


def test_before_date_confirms_a_calendar_fact_early_and_refutes_once_the_date_passed() -> None:
    early = verify("Christmas 2027 will fall on a Saturday", "Europe/Paris", mode="before_date")
    assert (early.verdict.outcome, early.verdict.confidence) == ("true", 1.0)
    late_now = datetime(2028, 6, 1, 9, 30, tzinfo=UTC)
    late = verify("It will be 2029 by March 2028", "Europe/Paris", mode="before_date", now=late_now)
    assert late.verdict.outcome == "false"
    assert late.verdict.evidence[0].retrieved_at == late_now


def test_a_failing_time_tool_makes_it_inconclusive() -> None:
    run = verify("Christmas 2027 will fall on a Saturday", "Nowhere/Atlantis")
    verdict = run.verdict
    assert (verdict.outcome, verdict.confidence, verdict.evidence) == ("inconclusive", 0.0, [])
    assert "current_time failed" in verdict.reasoning
    assert [(name, status) for name, _, status in run.calls] == [
        ("current_time", "error"),
        ("VerdictDraft", "success"),
    ]


def test_it_says_what_it_is_and_never_claims_to_be_an_llm() -> None:
    run = verify("Christmas 2027 will fall on a Saturday", "Europe/Paris")
    assert INTRO in run.text
    assert "Offline verifier (no LLM" in run.text and "no web access" in run.text
    assert "```json" in run.text  # the verdict streamed as text before Strands forces the tool
    assert not re.search(r"\bI am (?:Claude|GPT|ChatGPT|an? (?:AI|LLM|language model))", run.text, re.I)
    forced = [b["toolUse"]["name"] for m in run.messages for b in m["content"] if "toolUse" in b]
    assert forced[-1] == "VerdictDraft"


def test_runs_are_deterministic() -> None:
    first = verify("Feb 29, 2028 is a Tuesday", "Europe/London")
    second = verify("Feb 29, 2028 is a Tuesday", "Europe/London")

    def plain(messages: Messages) -> list[tuple[str, Any]]:  # without Strands' per-message tracking ids
        return [(m["role"], m["content"]) for m in messages]

    assert plain(first.messages) == plain(second.messages)
    ids = [b["toolUse"]["toolUseId"] for m in first.messages for b in m["content"] if "toolUse" in b]
    assert ids == [f"{OFFLINE_VERIFIER_NAME}-1", f"{OFFLINE_VERIFIER_NAME}-2", f"{OFFLINE_VERIFIER_NAME}-3"]


async def test_stream_is_word_sized_chunks_with_usage_and_honours_cancel() -> None:
    model = OfflineVerifierModel()
    message = format_verification_request(
        VerificationRequest("Christmas 2027 will fall on a Saturday", "", "UTC", "at_date", CALENDAR)
    )
    messages: Messages = [{"role": "user", "content": [{"text": message}]}]
    specs: Any = [{"name": "current_time", "description": "", "inputSchema": {"json": {}}}]
    events = [e async for e in model.stream(messages, specs)]
    deltas = [
        e["contentBlockDelta"]["delta"]["text"]
        for e in events
        if "text" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    assert len(deltas) > 10 and all(len(d.split()) <= 1 for d in deltas)
    assert "".join(deltas).startswith(INTRO)
    assert any("metadata" in e and e["metadata"]["usage"]["outputTokens"] > 0 for e in events)
    cancel = threading.Event()
    cancel.set()
    cancelled = [e async for e in model.stream(messages, specs, cancel_signal=cancel)]
    assert not any("text" in e.get("contentBlockDelta", {}).get("delta", {}) for e in cancelled)


async def test_structured_output_reads_a_bare_prompt() -> None:
    messages: Messages = [{"role": "user", "content": [{"text": "Bitcoin above 100k"}]}]
    outputs = [o async for o in OfflineVerifierModel().structured_output(VerdictDraft, messages)]
    verdict = outputs[-1]["output"]
    assert isinstance(verdict, VerdictDraft) and verdict.outcome == "inconclusive"
    assert NO_WEB_ACCESS in verdict.reasoning


def test_read_claim_recognises_tenses_and_forms() -> None:
    for statement, expected in [
        ("christmas 2027 FALLS ON A SATURDAY", ("weekday", "Saturday", False)),
        ("2027-12-25 is on a Saturday", ("weekday", "Saturday", False)),
        ("On Christmas 2027, it'll be a Saturday", ("weekday", "Saturday", False)),
        ("New Year's Day 2031 was a Wednesday", ("weekday", "Wednesday", False)),
        ("Christmas 2027 isn't a Sunday", ("weekday", "Sunday", True)),
        ("The year will be 2027 by the end of March 2027", ("year", "2027", False)),
        ("It won't be 2028 by March 2027", ("year", "2028", True)),
    ]:
        claim, why = read_claim(statement)
        assert claim is not None, (statement, why)
        assert (claim.kind, claim.claimed, claim.negated) == expected
