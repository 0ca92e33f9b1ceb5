"""Resolve time phrases ("by March 2027", "tomorrow at 3pm", "within 2 weeks") in a user's timezone.

Rules, all in the user's IANA zone (pytz: it carries its own tz database):
- A phrase naming a period ("by March 2027", "Q3 2027", "end of the year", "next week", "this
  weekend") resolves to the **last second of that period**: 23:59:59 local on its last day.
  Weeks end on Sunday.
- A phrase naming a day without a time ("tomorrow", "next Friday", "March 15") resolves to the end
  of that day (23:59:59): a prediction about a day is judged once the day is over. "tonight" is today.
- With a time ("tomorrow at 3pm", "at noon") the wall-clock time is used. A bare time already past
  today means tomorrow.
- "next <weekday>" is the first such day strictly after today; "this/on <weekday>" may be today.
- Durations: "in/within N minutes|hours" are elapsed time (UTC arithmetic, DST-proof);
  "in/within N days|weeks|months|years" are calendar steps in local time, ending at 23:59:59.
- A month, quarter, half or holiday without a year is the next one that has not ended yet.
- DST: a wall time inside a spring-forward gap moves forward by the gap; an ambiguous fall-back
  time takes its first occurrence. The reasoning says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

import pytz
from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from calledit.errors import BadInput
from calledit.schema import format_utc
from calledit.validation import check_timezone

END_OF_DAY = time(23, 59, 59)
MAX_PHRASE_CHARS = 200
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
HOLIDAYS = {
    "christmas eve": (12, 24),
    "christmas day": (12, 25),
    "christmas": (12, 25),
    "xmas": (12, 25),
    "new year's eve": (12, 31),
    "new years eve": (12, 31),
    "new year's day": (1, 1),
    "new years day": (1, 1),
    "halloween": (10, 31),
    "valentine's day": (2, 14),
    "valentines day": (2, 14),
    "independence day": (7, 4),
    "the 4th of july": (7, 4),
    "4th of july": (7, 4),
}
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple of": 2,
    "few": 3,
}
_DEADLINE_PREFIX = re.compile(r"^(?:by|before|until|till|no later than|not later than)\s+(?:the\s+)?", re.I)
_SOFT_PREFIX = re.compile(r"^(?:on|at|in|during|for|around)\s+(?:the\s+)?", re.I)
_END_OF = re.compile(r"^(?:the\s+)?end\s+of\s+(?:the\s+)?", re.I)
_DURATION = re.compile(
    r"^(?:in|within|after|over the next|in the next|within the next)\s+"
    r"(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple of|few)\s*"
    r"(?P<unit>minute|min|hour|hr|day|week|fortnight|month|year)s?$",
    re.I,
)
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$", re.I)
_AT_TIME = re.compile(
    r"^(?P<day>.+?)\s+(?:at\s+)?(?P<time>noon|midnight|\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|\d{1,2}:\d{2})$",
    re.I,
)
_QUARTER = re.compile(
    r"^(?:q(?P<q>[1-4])|(?P<ord>first|second|third|fourth) quarter)(?:\s+(?:of\s+)?(?P<y>\d{4}))?$", re.I
)
_HALF = re.compile(r"^(?:h(?P<h>[12])|(?P<ord>first|second) half)(?:\s+(?:of\s+)?(?P<y>\d{4}))?$", re.I)
_YEAR = re.compile(r"^(?P<y>(?:19|20|21)\d{2})$")
_MONTH_YEAR = re.compile(r"^(?P<m>[a-z]+)\.?(?:,?\s+(?P<y>(?:19|20|21)\d{2}))?$", re.I)
_DATE_WORD = re.compile(
    r"\b(?:today|tonight|tomorrow|week|weekend|month|year|quarter|q[1-4]|h[12]|noon|midnight|"
    r"christmas|xmas|halloween|new year|valentine|independence day|july|fortnight|"
    r"minutes?|hours?|days?|weeks?|months?|years?|"
    + "|".join(MONTHS)
    + "|"
    + "|".join(m[:3] for m in MONTHS)
    + "|"
    + "|".join(WEEKDAYS)
    + r")\b|\b(?:19|20|21)\d{2}\b|\d{1,2}\s*(?:am|pm)\b|\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}",
    re.I,
)


@dataclass(frozen=True)
class ResolvedDate:
    """A phrase resolved to an instant, with the reasoning a user can read."""

    phrase: str
    timezone: str
    local: datetime
    utc: datetime
    kind: str  # "deadline" (by/within/a period) or "instant" (a specific day or time)
    reasoning: str
    in_past: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready tool result."""
        return {
            "phrase": self.phrase,
            "timezone": self.timezone,
            "local": self.local.isoformat(),
            "utc": format_utc(self.utc),
            "weekday": self.local.strftime("%A"),
            "kind": self.kind,
            "reasoning": self.reasoning,
            "in_past": self.in_past,
        }


def current_time(timezone: str = "UTC", now: datetime | None = None) -> dict[str, Any]:
    """The current instant in ``timezone`` (and UTC), with weekday and DST flag."""
    zone = pytz.timezone(check_timezone(timezone))
    instant = (now or datetime.now(UTC)).astimezone(UTC)
    local = instant.astimezone(zone)
    offset = local.strftime("%z")
    return {
        "timezone": zone.zone,
        "local": local.replace(microsecond=0).isoformat(),
        "utc": format_utc(instant),
        "weekday": local.strftime("%A"),
        "utc_offset": f"{offset[:3]}:{offset[3:]}",
        "is_dst": bool(local.dst()),
    }


class _Ctx:
    """The zone and reference instant a phrase is resolved against; collects DST notes."""

    def __init__(self, zone: Any, reference: datetime) -> None:
        self.zone = zone
        self.ref = reference.astimezone(zone)
        self.today = self.ref.date()
        self.notes: list[str] = []

    def at(self, day: date, clock: time = END_OF_DAY) -> datetime:
        naive = datetime.combine(day, clock)
        try:
            return self.zone.localize(naive, is_dst=None)  # type: ignore[no-any-return]
        except pytz.NonExistentTimeError:
            moved = self.zone.normalize(self.zone.localize(naive, is_dst=False))
            self.notes.append(
                f"{naive:%H:%M} does not exist that day (clocks spring forward); using {moved:%H:%M}."
            )
            return moved  # type: ignore[no-any-return]
        except pytz.AmbiguousTimeError:
            self.notes.append(f"{naive:%H:%M} happens twice that day (clocks fall back); using the first.")
            return self.zone.localize(naive, is_dst=True)  # type: ignore[no-any-return]


def resolve_date(
    date_text: str, timezone: str = "UTC", reference: datetime | str | None = None
) -> ResolvedDate:
    """Resolve a time phrase; raises ``BadInput`` for an unknown zone or an unreadable phrase."""
    zone_name = check_timezone(timezone)
    phrase = " ".join(str(date_text or "").split())
    if not phrase:
        raise BadInput("the date phrase is empty")
    if len(phrase) > MAX_PHRASE_CHARS:
        raise BadInput(f"the date phrase is longer than {MAX_PHRASE_CHARS} characters")
    ctx = _Ctx(pytz.timezone(zone_name), _reference(reference))
    resolved, kind, meaning = _resolve(phrase, ctx)
    utc = resolved.astimezone(UTC)
    when = f"{resolved:%Y-%m-%d %H:%M:%S} {zone_name} ({utc:%Y-%m-%d %H:%M:%S} UTC)"
    reasoning = f"“{phrase}” means {meaning}: {when}." + "".join(f" {n}" for n in ctx.notes)
    return ResolvedDate(phrase, zone_name, resolved, utc, kind, reasoning, in_past=resolved < ctx.ref)


def _reference(reference: datetime | str | None) -> datetime:
    if reference is None or reference == "":
        return datetime.now(UTC)
    if isinstance(reference, str):
        try:
            reference = datetime.fromisoformat(reference.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(f"reference {reference!r} is not an ISO-8601 date-time") from None
    if reference.tzinfo is None:
        raise BadInput("reference must include a UTC offset")
    return reference


def _resolve(phrase: str, ctx: _Ctx) -> tuple[datetime, str, str]:
    text = phrase.lower().strip(" .!?,;")
    iso = _iso(phrase.strip(), ctx)
    if iso is not None:
        return iso
    deadline = bool(_DEADLINE_PREFIX.match(text))
    text = _DEADLINE_PREFIX.sub("", text)
    if (m := _DURATION.match(text)) is not None:
        return _duration(m, ctx)
    if _END_OF.match(text):
        deadline = True
        text = _END_OF.sub("", text)
    text = _SOFT_PREFIX.sub("", text)
    found = _period(text, ctx) or _day_with_time(text, ctx)
    if found is None:
        raise BadInput(f"could not understand the date phrase “{phrase}”")
    when, kind, meaning = found
    return when, "deadline" if deadline else kind, meaning


def _iso(text: str, ctx: _Ctx) -> tuple[datetime, str, str] | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"“{text}” is not a valid ISO-8601 date") from None
    if value.tzinfo is not None:
        return value.astimezone(ctx.zone), "instant", "that exact instant"
    if len(text) == 10:
        return ctx.at(value.date()), "instant", f"the end of {value:%A %d %B %Y}"
    return ctx.at(value.date(), value.time()), "instant", "that local date and time"


def _count(raw: str) -> int:
    value = _NUMBERS.get(raw.lower())
    return value if value is not None else int(raw)


def _duration(m: re.Match[str], ctx: _Ctx) -> tuple[datetime, str, str]:
    n, unit = _count(m["n"]), m["unit"].lower()
    if n > 1000:
        raise BadInput("that duration is too far in the future")
    label = f"{n} {unit}{'s' if n != 1 else ''}"
    if unit in ("minute", "min", "hour", "hr"):
        delta = timedelta(minutes=n) if unit in ("minute", "min") else timedelta(hours=n)
        when = (ctx.ref.astimezone(UTC) + delta).astimezone(ctx.zone)
        return when, "deadline", f"{label} from now (elapsed time)"
    step = {
        "day": relativedelta(days=n),
        "week": relativedelta(weeks=n),
        "fortnight": relativedelta(weeks=2 * n),
        "month": relativedelta(months=n),
        "year": relativedelta(years=n),
    }[unit]
    return ctx.at(ctx.today + step), "deadline", f"the end of the day {label} from today"


def _period(text: str, ctx: _Ctx) -> tuple[datetime, str, str] | None:
    today, year = ctx.today, ctx.today.year
    if text in ("year", "this year", "year end", "year-end", "the year"):
        return ctx.at(date(year, 12, 31)), "deadline", f"the end of {year}"
    if text == "next year":
        return ctx.at(date(year + 1, 12, 31)), "deadline", f"the end of {year + 1}"
    if text in ("month", "this month", "the month"):
        return ctx.at(_month_end(year, today.month)), "deadline", f"the end of {today:%B %Y}"
    if text == "next month":
        nxt = today + relativedelta(months=1)
        return ctx.at(_month_end(nxt.year, nxt.month)), "deadline", f"the end of {nxt:%B %Y}"
    if text in ("week", "this week", "the week", "weekend", "this weekend", "the weekend"):
        sunday = today + timedelta(days=6 - today.weekday())
        return ctx.at(sunday), "deadline", "the end of this week (Sunday)"
    if text in ("next week", "next weekend"):
        sunday = today + timedelta(days=13 - today.weekday())
        return ctx.at(sunday), "deadline", "the end of next week (Sunday)"
    if (m := _QUARTER.match(text)) is not None:
        q = int(m["q"]) if m["q"] else ("first", "second", "third", "fourth").index(m["ord"]) + 1
        return _yearly(ctx, m["y"], lambda y: _month_end(y, 3 * q), lambda y: f"the end of Q{q} {y}")
    if (m := _HALF.match(text)) is not None:
        h = int(m["h"]) if m["h"] else ("first", "second").index(m["ord"]) + 1
        return _yearly(ctx, m["y"], lambda y: _month_end(y, 6 * h), lambda y: f"the end of H{h} {y}")
    if (m := _YEAR.match(text)) is not None:
        y = int(m["y"])
        return ctx.at(date(y, 12, 31)), "deadline", f"the end of {y}"
    for name, (h_month, h_day) in HOLIDAYS.items():
        if text in (name, f"{name} day") or re.fullmatch(rf"{re.escape(name)}\s+(?:19|20|21)\d{{2}}", text):
            y_match = re.search(r"(?:19|20|21)\d{2}", text)
            title = " ".join(w[:1].upper() + w[1:] for w in name.split())
            return _yearly(
                ctx,
                y_match[0] if y_match else None,
                partial(_holiday, h_month, h_day),
                partial("the end of {} {}".format, title),
            )
    m = _MONTH_YEAR.match(text)
    month = _month_number(m["m"]) if m is not None else None
    if m is not None and month is not None:
        title = MONTHS[month - 1].title()
        return _yearly(ctx, m["y"], partial(_month_end_of, month), lambda y: f"the end of {title} {y}")
    return None


def _holiday(month: int, day: int, year: int) -> date:
    return date(year, month, day)


def _month_end_of(month: int, year: int) -> date:
    return _month_end(year, month)


def _yearly(
    ctx: _Ctx, year: str | None, last_day: Callable[[int], date], meaning: Callable[[int], str]
) -> tuple[datetime, str, str]:
    """A yearly period's end: in the given year, else the next one that has not ended yet."""
    this_year = ctx.today.year
    y = int(year) if year else (this_year if last_day(this_year) >= ctx.today else this_year + 1)
    return ctx.at(last_day(y)), "deadline", meaning(y)


def _month_number(word: str) -> int | None:
    word = word.lower().rstrip(".")
    if word in MONTHS:
        return MONTHS.index(word) + 1
    return _MONTH_ABBR.get(word)


def _month_end(year: int, month: int) -> date:
    return date(year, month, 1) + relativedelta(months=1, days=-1)


def _clock(text: str) -> time | None:
    text = text.strip().lower()
    if text == "noon":
        return time(12, 0)
    if text == "midnight":
        return END_OF_DAY
    m = _TIME.match(text)
    if m is None:
        return None
    hour, minute = int(m["h"]), int(m["m"] or 0)
    ampm = (m["ampm"] or "").replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if not ampm and m["m"] is None:
        return None  # a bare number is not a time
    if hour > 23 or minute > 59:
        raise BadInput(f"“{text}” is not a valid time of day")
    return time(hour, minute)


def _day(text: str, ctx: _Ctx) -> tuple[date, str] | None:
    today = ctx.today
    if text in ("today", "tonight", "this evening", "this afternoon", "this morning"):
        return today, "today"
    if text == "tomorrow" or text == "tomorrow night":
        return today + timedelta(days=1), "tomorrow"
    if text == "the day after tomorrow":
        return today + timedelta(days=2), "the day after tomorrow"
    m = re.fullmatch(r"(next|this|coming|the coming)?\s*(" + "|".join(WEEKDAYS) + r")", text)
    if m is not None:
        target = WEEKDAYS.index(m[2])
        ahead = (target - today.weekday()) % 7
        if m[1] == "next" and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead), f"{'next' if m[1] == 'next' else 'the coming'} {m[2].title()}"
    if not re.search(r"\d|" + "|".join(m[:3] for m in MONTHS), text):
        return None
    try:
        default = datetime.combine(today, time(0, 0))
        parsed = date_parser.parse(text, default=default, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    day = parsed.date()
    if not re.search(r"(?:19|20|21)\d{2}", text) and day < today:
        day = day + relativedelta(years=1)  # "March 15" means the next March 15
    return day, f"{day:%A %d %B %Y}"


def _day_with_time(text: str, ctx: _Ctx) -> tuple[datetime, str, str] | None:
    if (clock := _clock(text)) is not None:  # a bare time: today if still ahead, else tomorrow
        when = ctx.at(ctx.today, clock)
        if when <= ctx.ref:
            when = ctx.at(ctx.today + timedelta(days=1), clock)
        return when, "instant", f"the next {clock:%H:%M}"
    if (m := _AT_TIME.match(text)) is not None and (clock := _clock(m["time"])) is not None:
        found = _day(m["day"].strip(), ctx)
        if found is not None:
            return ctx.at(found[0], clock), "instant", f"{found[1]} at {clock:%H:%M}"
    found = _day(text, ctx)
    if found is None:
        return None
    return ctx.at(found[0]), "instant", f"the end of {found[1]}"


def find_date_phrase(text: str) -> str | None:
    """The longest leftmost time phrase in a sentence, as written ("by March 2027"), or None."""
    words = re.findall(r"[^\s,;!?()\"“”]+", text)
    reference = datetime(2026, 1, 1, 12, tzinfo=UTC)  # any fixed instant: we only ask "does it parse?"
    for start in range(len(words)):
        for length in range(min(7, len(words) - start), 0, -1):
            candidate = " ".join(words[start : start + length]).strip(".")
            if not _DATE_WORD.search(candidate):
                continue
            try:
                resolve_date(candidate, "UTC", reference)
            except BadInput:
                continue
            return candidate
    return None
