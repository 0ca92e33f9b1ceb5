"""Keyword heuristics the offline model uses to classify a prediction and plan its verification."""

from __future__ import annotations

import re
from dataclasses import dataclass

from calledit.prediction import VerifiableCategory


@dataclass(frozen=True)
class Domain:
    """A subject area: how to recognise it and how such predictions get verified."""

    name: str
    keywords: tuple[str, ...]
    category: VerifiableCategory
    sources: tuple[str, ...]
    steps: tuple[str, ...]


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "finance",
        (
            "s&p",
            "nasdaq",
            "dow jones",
            "stock",
            "shares",
            "share price",
            "bitcoin",
            "btc",
            "ethereum",
            "crypto",
            "market cap",
            "interest rate",
            "inflation",
            "fed ",
            "index",
            "close above",
            "close below",
            "trade above",
            "price",
            "dollar",
            "euro",
            "gdp",
            "earnings",
            "ipo",
        ),
        VerifiableCategory.API_TOOL_VERIFIABLE,
        ("Official exchange or index provider closing data", "A market data API (historical prices)"),
        (
            "Fetch the official closing value or price for the verification date",
            "Compare it with the threshold in the statement",
        ),
    ),
    Domain(
        "sports",
        (
            "win",
            "wins",
            "champion",
            "championship",
            "league",
            "cup",
            "match",
            "game",
            "score",
            "nba",
            "nfl",
            "mlb",
            "nhl",
            "fifa",
            "olympic",
            "tournament",
            "final",
            "playoff",
            "season",
        ),
        VerifiableCategory.API_TOOL_VERIFIABLE,
        ("The league's or organiser's official results", "A sports results API"),
        ("Look up the official result once the event is over", "Check the result against the statement"),
    ),
    Domain(
        "weather",
        (
            "rain",
            "snow",
            "sunny",
            "temperature",
            "degrees",
            "°",
            "storm",
            "hurricane",
            "heatwave",
            "weather",
            "forecast",
            "frost",
            "wind",
        ),
        VerifiableCategory.API_TOOL_VERIFIABLE,
        ("The national weather service's observations", "A historical weather data API"),
        (
            "Retrieve observed conditions for the place and date",
            "Compare the observations with the statement",
        ),
    ),
    Domain(
        "politics",
        (
            "election",
            "elected",
            "president",
            "prime minister",
            "senate",
            "congress",
            "parliament",
            "vote",
            "referendum",
            "bill",
            "law",
            "policy",
            "minister",
            "governor",
            "poll",
        ),
        VerifiableCategory.API_TOOL_VERIFIABLE,
        ("Official election or legislative records", "Reputable news coverage of the outcome"),
        ("Find the official record of the vote, appointment or law", "Check it against the statement"),
    ),
    Domain(
        "technology",
        (
            "release",
            "released",
            "launch",
            "ship",
            "iphone",
            "android",
            "ai ",
            "gpt",
            "model",
            "software",
            "version",
            "python",
            "apple",
            "google",
            "microsoft",
            "openai",
            "app",
            "chip",
        ),
        VerifiableCategory.STRANDS_TOOL_VERIFIABLE,
        ("The vendor's official announcements or release notes", "Public release archives"),
        (
            "Search the official release notes or announcements",
            "Confirm whether the release or event happened by the date",
        ),
    ),
    Domain(
        "personal",
        (
            "i will",
            "i'll",
            "i am going to",
            "i'm going to",
            " my ",
            "me ",
            "we will",
            "we'll",
            "marathon",
            "lose weight",
            "get promoted",
            "learn",
            "finish my",
        ),
        VerifiableCategory.HUMAN_VERIFIABLE_ONLY,
        ("The user's own account of the outcome",),
        ("Ask the user whether it happened", "Record their answer with a note"),
    ),
)

_WEEKDAY_CLAIM = re.compile(
    r"\b(?:will be|falls? on|is) an? (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I
)


@dataclass(frozen=True)
class Classification:
    """The domain (if any) and the verifiable category chosen for a statement."""

    domain: str | None
    category: VerifiableCategory
    matched: tuple[str, ...]
    reasoning: str
    sources: tuple[str, ...]
    steps: tuple[str, ...]


def classify(statement: str) -> Classification:
    """Pick the domain whose keywords match most often; ties go to the earlier domain."""
    text = f" {statement.lower()} "
    if _WEEKDAY_CLAIM.search(text):
        return Classification(
            domain="calendar",
            category=VerifiableCategory.CURRENT_TOOL_VERIFIABLE,
            matched=("weekday claim",),
            reasoning="It is a calendar fact: knowing the date is enough to check it.",
            sources=("A calendar (the current_time tool)",),
            steps=("Resolve the date", "Check which weekday it falls on"),
        )
    best: tuple[int, Domain, tuple[str, ...]] | None = None
    for domain in DOMAINS:
        hits = tuple(k.strip() for k in domain.keywords if _contains(text, k))
        if hits and (best is None or len(hits) > best[0]):
            best = (len(hits), domain, hits)
    if best is None:
        return Classification(
            domain=None,
            category=VerifiableCategory.HUMAN_VERIFIABLE_ONLY,
            matched=(),
            reasoning=(
                "No subject keywords were recognised by the offline heuristic, so a person should judge "
                "the outcome."
            ),
            sources=("The user's own judgement",),
            steps=("Ask the user whether it happened", "Record their answer with a note"),
        )
    _, domain, hits = best
    return Classification(
        domain=domain.name,
        category=domain.category,
        matched=hits,
        reasoning=(
            f"Looks like a {domain.name} prediction (keywords: {', '.join(hits[:4])}); "
            f"{_CATEGORY_WHY[domain.category]}"
        ),
        sources=domain.sources,
        steps=domain.steps,
    )


def _contains(text: str, keyword: str) -> bool:
    if keyword != keyword.strip() or not keyword.isalnum():
        return keyword in text  # phrases and keywords with spaces/punctuation match as substrings
    return re.search(rf"\b{re.escape(keyword)}\b", text) is not None


_CATEGORY_WHY = {
    VerifiableCategory.API_TOOL_VERIFIABLE: "checking it needs external data from a dedicated source.",
    VerifiableCategory.STRANDS_TOOL_VERIFIABLE: "a general web lookup of official announcements settles it.",
    VerifiableCategory.HUMAN_VERIFIABLE_ONLY: "only the person involved can say whether it happened.",
    VerifiableCategory.AGENT_VERIFIABLE: "reasoning alone settles it.",
    VerifiableCategory.CURRENT_TOOL_VERIFIABLE: "knowing the current date settles it.",
}
