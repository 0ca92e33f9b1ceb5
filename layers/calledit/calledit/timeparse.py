"""Resolve time phrases ("by March 2027", "tomorrow at 3pm", "within 2 weeks") in a user's timezone.

Rules, all in the user's IANA zone (pytz: it carries its own tz database):
- A phrase naming a period ("by March 2027", "Q3 2027", "end of the year", "at the end of 2030",
  "next week", "this weekend") resolves to the **last second of that period**: 23:59:59 local on its
  last day. Weeks end on Sunday.
- A phrase naming a day without a time ("tomorrow", "next Friday", "March 15") resolves to the end
  of that day (23:59:59): a prediction about a day is judged once the day is over. "tonight" is today.
- With a time ("tomorrow at 3pm", "5pm tomorrow", "at 9am on Friday", "at noon") the wall-clock
  time is used. A bare time already past today means tomorrow.
- ISO-8601: a date is a day; a date-time keeps its time; an explicit UTC offset ("...+02:00", "Z")
  names an exact instant and wins over the user's zone (the result is shown in the user's zone).
- "next <weekday>" is the first such day strictly after today; "this/on <weekday>" may be today.
- Deadlines: "by", "until", "till", "no later than" X all mean the end of X. "until September"
  could also mean "up to September 1st"; we read it inclusively, like "by" (a prediction "until X"
  is settled once X is over). "before X" excludes X: for a day or period it is the last second
  before X starts ("before September 2027" is 2027-08-31 23:59:59); for an instant (a clock time,
  an ISO date-time) it is that instant itself, the moment the deadline is checked ("before 5pm" is
  17:00:00, like "by 5pm"); "before the end of X" is the end of X.
- Durations: "in/within/after/for the next/over the next N minutes|hours" and "N minutes|hours
  from now" are elapsed time (UTC arithmetic, DST-proof); the same with days|weeks|months|years are
  calendar steps in local time, ending at 23:59:59. N may be a word ("a couple of", "a few": 2, 3).
  A bare duration ("15 minutes") is not a time frame.
- A month, quarter, half or holiday without a year is the next one that has not ended yet.
  Holidays: fixed-date ones (Christmas, Halloween, ...), US Thanksgiving (fourth Thursday of
  November) and Easter Sunday (Western).
- DST: a wall time inside a spring-forward gap moves forward by the gap; an ambiguous fall-back
  time takes its first occurrence. The reasoning says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, NamedTuple

import pytz
from dateutil import parser as date_parser
from dateutil.easter import easter
from dateutil.relativedelta import TH, relativedelta

from calledit import clock
from calledit.errors import BadInput
from calledit.prediction import format_utc
from calledit.validation import check_timezone

END_OF_DAY = time(23, 59, 59)
MAX_PHRASE_CHARS = 200
MAX_PHRASE_WORDS = 10  # "no later than the end of next month" is 8
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


def _thanksgiving(year: int) -> date:
    """US Thanksgiving: the fourth Thursday of November."""
    return date(year, 11, 1) + relativedelta(weekday=TH(4))


MOVABLE_HOLIDAYS: dict[str, Callable[[int], date]] = {
    "thanksgiving": _thanksgiving,
    "easter sunday": easter,  # Western (Gregorian) Easter
    "easter": easter,
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
    "couple": 2,
    "few": 3,
}
_DEADLINE_PREFIX = re.compile(r"^(?:by|before|until|till|no later than|not later than)\s+(?:the\s+)?", re.I)
_SOFT_PREFIX = re.compile(r"^(?:on|at|in|during|for|around)\s+(?:the\s+)?", re.I)
_END_OF = re.compile(r"^(?:the\s+)?end\s+of\s+(?:the\s+)?", re.I)
_DURATION = re.compile(  # a duration is a time frame only with a lead ("in 3 days") or "from now"
    r"^(?:(?P<lead>in|within|after|(?:in|within|for|over)\s+the\s+next)\s+)?"
    r"(?P<n>\d+|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|an?|one|two|three|four|five|six|seven|eight|nine"
    r"|ten|eleven|twelve)\s*"
    r"(?P<unit>minute|min|hour|hr|day|week|fortnight|month|year)s?"
    r"(?P<tail>\s+from\s+now)?$",
    re.I,
)
_CLOCK = r"noon|midnight|\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.?|p\.m\.?)|\d{1,2}:\d{2}"
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.?|p\.m\.?)?$", re.I)
_AT_TIME = re.compile(rf"^(?P<day>.+?)\s+(?:at\s+)?(?P<time>{_CLOCK})$", re.I)  # "tomorrow at 3pm"
_TIME_FIRST = re.compile(rf"^(?P<time>{_CLOCK})\s+(?:on\s+)?(?P<day>.+)$", re.I)  # "5pm tomorrow"
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?$", re.I
)
_QUARTER = re.compile(
    r"^(?:q(?P<q>[1-4])|(?P<ord>first|second|third|fourth) quarter)(?:\s+(?:of\s+)?(?P<y>\d{4}))?$", re.I
)
_HALF = re.compile(r"^(?:h(?P<h>[12])|(?P<ord>first|second) half)(?:\s+(?:of\s+)?(?P<y>\d{4}))?$", re.I)
_YEAR = re.compile(r"^(?P<y>(?:19|20|21)\d{2})$")
_MONTH_YEAR = re.compile(r"^(?P<m>[a-z]+)\.?(?:,?\s+(?P<y>(?:19|20|21)\d{2}))?$", re.I)
# dateutil reads a calendar date only when one is written: a month name or a numeric date.
_CALENDAR_DATE = re.compile(
    r"\b(?:" + "|".join(MONTHS) + "|" + "|".join(_MONTH_ABBR) + r")\b|\d{4}-\d{2}-\d{2}|\b\d{1,4}/\d{1,2}\b",
    re.I,
)
_DATE_WORD = re.compile(
    r"\b(?:today|tonight|tomorrow|week|weekend|month|year|quarter|q[1-4]|h[12]|noon|midnight|"
    r"christmas|xmas|halloween|new year|valentine|independence day|july|thanksgiving|easter|fortnight|"
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
    kind: str  # "deadline" (by/before/within/a period) or "instant" (a specific day or time)
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


class _Found(NamedTuple):
    """An instant found for a phrase: when, its kind, what it means, and its precision."""

    when: datetime
    kind: str
    meaning: str
    precision: int  # 2: a wall-clock or elapsed time; 1: a single day; 0: a longer period


@dataclass(frozen=True)
class _Span:
    """A named day or period, from its first to its last local day."""

    first: date
    last: date
    name: str  # "March 2027", "tomorrow"
    kind: str = "deadline"

    @property
    def precision(self) -> int:
        return 1 if self.first == self.last else 0


def current_time(timezone: str = "UTC", now: datetime | None = None) -> dict[str, Any]:
    """The current instant in ``timezone`` (and UTC), with weekday and DST flag."""
    zone = pytz.timezone(check_timezone(timezone))
    instant = (now or clock.now()).astimezone(UTC)
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
    resolved, kind, meaning, _ = _resolve(phrase, ctx)
    utc = resolved.astimezone(UTC)
    when = f"{resolved:%Y-%m-%d %H:%M:%S} {zone_name} ({utc:%Y-%m-%d %H:%M:%S} UTC)"
    reasoning = f"“{phrase}” means {meaning}: {when}." + "".join(f" {n}" for n in ctx.notes)
    return ResolvedDate(phrase, zone_name, resolved, utc, kind, reasoning, in_past=resolved < ctx.ref)


def _reference(reference: datetime | str | None) -> datetime:
    if reference is None or reference == "":
        return clock.now()
    if isinstance(reference, str):
        try:
            reference = datetime.fromisoformat(reference.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(f"reference {reference!r} is not an ISO-8601 date-time") from None
    if reference.tzinfo is None:
        raise BadInput("reference must include a UTC offset")
    return reference


def _resolve(phrase: str, ctx: _Ctx) -> _Found:
    text = phrase.lower().replace("’", "'").strip(" .!?,;")
    lead = _DEADLINE_PREFIX.match(text)
    deadline, before = lead is not None, lead is not None and lead[0].startswith("before")
    text = text[lead.end() :] if lead is not None else text
    if (m := _DURATION.match(text)) is not None and (m["lead"] or m["tail"]):
        return _duration(m, ctx)
    text = _SOFT_PREFIX.sub("", text)  # "at the end of 2030", "in Q3"
    if (end_of := _END_OF.match(text)) is not None:
        deadline, before = True, False  # the end of X is an instant: "before the end of X" is the end of X
        text = text[end_of.end() :]
    found = _iso(text, ctx) or _period(text, ctx) or _timed(text, ctx) or _day_span(text, ctx)
    if found is None:
        raise BadInput(f"could not understand the date phrase “{phrase}”")
    if isinstance(found, _Found):  # an instant: by it, before it and at it are all that instant
        return found._replace(kind="deadline") if deadline else found
    if before:
        last_second = ctx.at(found.first - timedelta(days=1))
        return _Found(last_second, "deadline", f"the last second before {found.name} starts", found.precision)
    kind = "deadline" if deadline else found.kind
    return _Found(ctx.at(found.last), kind, f"the end of {found.name}", found.precision)


def _iso(text: str, ctx: _Ctx) -> _Found | _Span | None:
    if not _ISO.match(text):  # "2027-01-15 at 9am" is left to the other readers
        return None
    try:
        value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"“{text}” is not a valid ISO-8601 date") from None
    if value.tzinfo is not None:  # an explicit offset wins over the user's zone
        return _Found(value.astimezone(ctx.zone), "instant", "that exact instant", 2)
    if len(text) == 10:
        day = value.date()
        return _Span(day, day, f"{day:%A %d %B %Y}", "instant")
    return _Found(ctx.at(value.date(), value.time()), "instant", "that local date and time", 2)


def _count(raw: str) -> int:
    word = re.sub(r"^an?\s+|\s+of$", "", " ".join(raw.lower().split()))  # "a couple of" -> "couple"
    value = _NUMBERS.get(word)
    return value if value is not None else int(word)


def _duration(m: re.Match[str], ctx: _Ctx) -> _Found:
    n, unit = _count(m["n"]), m["unit"].lower()
    if n > 1000:
        raise BadInput("that duration is too far in the future")
    label = f"{n} {unit}{'s' if n != 1 else ''}"
    if unit in ("minute", "min", "hour", "hr"):
        delta = timedelta(minutes=n) if unit in ("minute", "min") else timedelta(hours=n)
        when = (ctx.ref.astimezone(UTC) + delta).astimezone(ctx.zone)
        return _Found(when, "deadline", f"{label} from now (elapsed time)", 2)
    step = {
        "day": relativedelta(days=n),
        "week": relativedelta(weeks=n),
        "fortnight": relativedelta(weeks=2 * n),
        "month": relativedelta(months=n),
        "year": relativedelta(years=n),
    }[unit]
    return _Found(ctx.at(ctx.today + step), "deadline", f"the end of the day {label} from today", 0)


def _period(text: str, ctx: _Ctx) -> _Span | None:
    today, year = ctx.today, ctx.today.year
    if text in ("year", "this year", "year end", "year-end", "the year"):
        return _year(year)
    if text == "next year":
        return _year(year + 1)
    if text in ("month", "this month", "the month"):
        return _month(today.month, year)
    if text == "next month":
        nxt = today + relativedelta(months=1)
        return _month(nxt.month, nxt.year)
    monday = today - timedelta(days=today.weekday())
    if text in ("week", "this week", "the week"):
        return _Span(monday, monday + timedelta(days=6), "this week (Monday to Sunday)")
    if text in ("weekend", "this weekend", "the weekend"):
        return _Span(
            monday + timedelta(days=5), monday + timedelta(days=6), "this weekend (Saturday and Sunday)"
        )
    if text == "next week":
        return _Span(monday + timedelta(days=7), monday + timedelta(days=13), "next week (Monday to Sunday)")
    if text == "next weekend":
        return _Span(
            monday + timedelta(days=12), monday + timedelta(days=13), "next weekend (Saturday and Sunday)"
        )
    if (m := _QUARTER.match(text)) is not None:
        q = int(m["q"]) if m["q"] else ("first", "second", "third", "fourth").index(m["ord"]) + 1
        return _yearly(ctx, m["y"], partial(_months, 3 * q - 2, 3 * q), partial("Q{} {}".format, q))
    if (m := _HALF.match(text)) is not None:
        h = int(m["h"]) if m["h"] else ("first", "second").index(m["ord"]) + 1
        return _yearly(ctx, m["y"], partial(_months, 6 * h - 5, 6 * h), partial("H{} {}".format, h))
    if (m := _YEAR.match(text)) is not None:
        return _year(int(m["y"]))
    holidays = {name: partial(_holiday, *month_day) for name, month_day in HOLIDAYS.items()}
    for name, day_of in (holidays | MOVABLE_HOLIDAYS).items():
        if re.fullmatch(rf"{re.escape(name)}(?:\s+day)?(?:\s+(?:19|20|21)\d{{2}})?", text):
            y_match = re.search(r"(?:19|20|21)\d{2}", text)
            title = " ".join(w[:1].upper() + w[1:] for w in name.split())
            return _yearly(
                ctx,
                y_match[0] if y_match else None,
                partial(_one_day, day_of),
                partial("{} {}".format, title),
            )
    m = _MONTH_YEAR.match(text)
    month = _month_number(m["m"]) if m is not None else None
    if m is not None and month is not None:
        title = MONTHS[month - 1].title()
        return _yearly(ctx, m["y"], partial(_months, month, month), partial("{} {}".format, title))
    return None


def _year(year: int) -> _Span:
    return _Span(date(year, 1, 1), date(year, 12, 31), str(year))


def _month(month: int, year: int) -> _Span:
    first, last = _months(month, month, year)
    return _Span(first, last, f"{first:%B %Y}")


def _months(first_month: int, last_month: int, year: int) -> tuple[date, date]:
    return date(year, first_month, 1), _month_end(year, last_month)


def _holiday(month: int, day: int, year: int) -> date:
    return date(year, month, day)


def _one_day(day_of: Callable[[int], date], year: int) -> tuple[date, date]:
    day = day_of(year)
    return day, day


def _yearly(
    ctx: _Ctx, year: str | None, span: Callable[[int], tuple[date, date]], name: Callable[[int], str]
) -> _Span:
    """A yearly period: in the given year, else the next one that has not ended yet."""
    this_year = ctx.today.year
    y = int(year) if year else (this_year if span(this_year)[1] >= ctx.today else this_year + 1)
    first, last = span(y)
    return _Span(first, last, name(y))


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
    if not _CALENDAR_DATE.search(text):  # not "15 minutes", not "Sunday 2027"
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


def _timed(text: str, ctx: _Ctx) -> _Found | None:
    """A wall-clock time, alone ("at 3pm") or with a day before or after it."""
    if (clock := _clock(text)) is not None:  # a bare time: today if still ahead, else tomorrow
        when = ctx.at(ctx.today, clock)
        if when <= ctx.ref:
            when = ctx.at(ctx.today + timedelta(days=1), clock)
        return _Found(when, "instant", f"the next {clock:%H:%M}", 2)
    for pattern in (_AT_TIME, _TIME_FIRST):  # "tomorrow at 3pm", "5pm tomorrow", "9am on Friday"
        m = pattern.match(text)
        if m is not None and (clock := _clock(m["time"])) is not None:
            found = _day(m["day"].strip(), ctx)
            if found is not None:
                return _Found(ctx.at(found[0], clock), "instant", f"{found[1]} at {clock:%H:%M}", 2)
    return None


def _day_span(text: str, ctx: _Ctx) -> _Span | None:
    found = _day(text, ctx)
    return _Span(found[0], found[0], found[1], "instant") if found is not None else None


_WORD = re.compile(r"[^\s,;!?()\"“”]+")
_TEMPORAL_LEAD = re.compile(
    r"^(?:by|before|until|till|no later than|not later than|on|at|in|within|during|over|for|after|around)\s",
    re.I,
)
_NOT_ADVERBIAL = frozenset(  # a date word right after these describes a noun or what a day is
    {"a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "every", "each"}
    | {"be", "is", "are", "was", "were", "been", "being"}
)
_NOT_A_TIME_FRAME = re.compile(r"^(?:(?i:(?:the\s+)?(?:week|weekend|month|year|year[- ]end))|may|march)$")


def find_date_phrase(text: str) -> str | None:
    """The time phrase that sets a statement's time frame, exactly as written there, or None.

    Candidates: runs of up to ``MAX_PHRASE_WORDS`` words, joined only by spaces and commas, that
    ``resolve_date`` understands; from each word only the longest counts, and a candidate inside a
    longer one is dropped ("by 5pm tomorrow", never "by 5pm"; "on Easter Sunday 2027", never
    "Sunday 2027"). A bare duration is no candidate ("15 minutes ahead of India's"), nor a lone
    unit noun ("year-end cleaning"), nor "may" and "march" in lower case (verbs).
    The winner is the best by, in order:
    1. role: introduced by a temporal preposition (by, before, until, till, no later than, on, at,
       in, within, during, over, for, after, around) or ending in "from now"
       > a bare phrase ("tomorrow at 3pm")
       > a bare phrase right after a determiner, a possessive or a form of "be" ("the Halloween
       party", "a Monday", "my year-end", "will be Thursday"): it qualifies a noun or says what a
       day is, not when the prediction is judged;
    2. precision: a clock time > a single day > a longer period;
    3. position: the rightmost (a subject opens a sentence; its time frame usually closes it).
    """
    words = list(_WORD.finditer(text))
    candidates: list[tuple[int, int, int, int]] = []  # (start, end, role, precision)
    for first, word in enumerate(words):
        for stop in range(_run_end(text, words, first), first - 1, -1):
            phrase = text[word.start() : words[stop].end()]
            if not phrase.lower().endswith(("a.m.", "p.m.")):
                phrase = phrase.rstrip(".")  # a full stop
            if not _DATE_WORD.search(phrase) or _NOT_A_TIME_FRAME.match(phrase):
                continue
            if (found := _understood(phrase)) is not None:
                role = _role(phrase, words[first - 1].group() if first else "")
                candidates.append((word.start(), word.start() + len(phrase), role, found.precision))
                break  # the longest from this word
    outermost = [
        c for c in candidates if not any(o[0] <= c[0] and c[1] <= o[1] and o[:2] != c[:2] for o in candidates)
    ]
    if not outermost:
        return None
    start, end, _, _ = max(outermost, key=lambda c: (c[2], c[3], c[0]))
    return text[start:end]


def _run_end(text: str, words: list[re.Match[str]], first: int) -> int:
    """The last word a phrase from word ``first`` may reach: only spaces and commas between words."""
    last = first
    while last + 1 < min(len(words), first + MAX_PHRASE_WORDS) and re.fullmatch(
        r"[\s,]+", text[words[last].end() : words[last + 1].start()]
    ):
        last += 1
    return last


def _role(phrase: str, previous: str) -> int:
    """2: introduced as a time frame; 1: a bare phrase; 0: it qualifies a noun or says what a day is."""
    if _TEMPORAL_LEAD.match(phrase) or phrase.lower().endswith("from now"):
        return 2
    previous = previous.lower().rstrip(".")
    return 0 if previous in _NOT_ADVERBIAL or previous.endswith(("'s", "’s")) else 1


def _understood(phrase: str) -> _Found | None:
    """``phrase`` resolved at a fixed instant, or None: we only ask whether it parses, and how precisely."""
    if len(phrase) > MAX_PHRASE_CHARS:
        return None
    try:
        return _resolve(" ".join(phrase.split()), _Ctx(pytz.utc, datetime(2026, 1, 1, 12, tzinfo=UTC)))
    except BadInput:
        return None
