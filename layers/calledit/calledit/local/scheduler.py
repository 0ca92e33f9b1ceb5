"""EventBridge Scheduler emulator: the REST-JSON wire API the unchanged boto3 ``scheduler`` client calls.

Mounted by the local stack under a path prefix (``routes(app, "/scheduler")``; handlers get
``AWS_ENDPOINT_URL_SCHEDULER=http://127.0.0.1:PORT/scheduler``: botocore appends the REST paths to an
endpoint's path). Operations: CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule, ListSchedules,
CreateScheduleGroup, GetScheduleGroup, ListScheduleGroups, DeleteScheduleGroup. Errors carry Scheduler's
shapes: ``x-amzn-ErrorType`` header + ``{"Message": ...}`` body, status 400 ValidationException,
404 ResourceNotFoundException, 409 ConflictException.

Expressions are evaluated as Scheduler does:

- ``at(yyyy-mm-ddThh:mm:ss)`` in ``ScheduleExpressionTimezone`` (IANA, default UTC); StartDate/EndDate are
  ignored. A local time skipped by a DST change is read with the offset in force before the change
  (``02:30`` on the spring-forward night in Europe/Paris is ``01:30Z``); an ambiguous one is its first
  occurrence. A time already past (created late, or the stack was down) fires as soon as possible.
- ``rate(N minute[s]|hour[s]|day[s])``: fixed intervals from StartDate, or from when the schedule was
  created/updated (the first invocation is then immediate); a day is 24 hours whatever the DST.
- ``cron(min hour dom month dow year)``: AWS's six fields with ``, - * /``, ``?`` (exactly one of
  day-of-month / day-of-week), names (JAN-DEC, SUN-SAT; 1 = SUN), ``L`` / ``LW`` / ``nW`` in day-of-month,
  ``L`` / ``nL`` / ``n#k`` in day-of-week (these special forms stand alone in their field); evaluated in
  the time zone: a time skipped by DST is skipped, a repeated one runs once.
- ``FlexibleTimeWindow`` is validated; ``FLEXIBLE`` is treated as ``OFF`` (fires at the exact time).

Firing: one asyncio task sleeps until the earliest due schedule (woken on every create/update/delete), so
schedules fire within a few milliseconds of their time (AWS: within the minute). Each invocation calls
``deliver(target, payload)`` on a thread; an exception is a failed attempt, retried with exponential
backoff while ``RetryPolicy`` allows (MaximumRetryAttempts, default 185; MaximumEventAgeInSeconds, default
86400), then sent to ``DeadLetterConfig.Arn`` through ``deliver({"Arn": dlq, "MessageAttributes": ...},
payload)`` with Scheduler's DLQ attributes (ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION,
RETRY_ATTEMPTS, SCHEDULE_ARN, TARGET_ARN). The payload is ``Target.Input`` (``{}`` without one) with the
context keywords ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>``,
``<aws.scheduler.execution-id>`` and ``<aws.scheduler.attempt-number>`` substituted.
``ActionAfterCompletion: DELETE`` deletes a schedule once its last invocation has been delivered (or
dead-lettered).

Persistence: groups and schedules in ``<data_dir>/scheduler.json`` (temp file + rename on every change),
reloaded by ``start()``. Recurring invocations missed while the stack was down are skipped; a one-time
schedule whose time passed fires at start. Retries in progress when the stack stops are lost.
"""

from __future__ import annotations

import asyncio
import base64
import calendar
import contextlib
import copy
import itertools
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from calledit.local.files import atomic_write
from calledit.local.template import ACCOUNT, REGION

logger = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any], str], None]
DEFAULT_GROUP = "default"
DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE_S = 86400
_NAME = re.compile(r"^[0-9a-zA-Z\-_.]{1,64}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_SQS_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$")
_CLIENT_TOKEN = re.compile(r"^[a-zA-Z0-9\-_]{1,64}$")
_AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")
_RATE = re.compile(r"^rate\((\d+) (minutes?|hours?|days?)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SchedulerError(Exception):
    """An error response: Scheduler's shape name, HTTP status and message."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


def _validation(message: str) -> SchedulerError:
    return SchedulerError("ValidationException", 400, message)


def _not_found(message: str) -> SchedulerError:
    return SchedulerError("ResourceNotFoundException", 404, message)


def _conflict(message: str) -> SchedulerError:
    return SchedulerError("ConflictException", 409, message)


def _serialization(message: str) -> SchedulerError:
    return SchedulerError("SerializationException", 400, message)


def _no_operation(request: web.Request) -> SchedulerError:
    return SchedulerError("UnknownOperationException", 404, f"No operation {request.method} {request.path}.")


# ------------------------------------------------------------ cron

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_YEARS = (1970, 2199)


def _aws_weekday(day: date) -> int:
    """1 = Sunday ... 7 = Saturday, as cron's day-of-week counts."""
    return (day.weekday() + 1) % 7 + 1


def _number(token: str, low: int, high: int, names: dict[str, int] | None, field_name: str) -> int:
    if names is not None and token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise _validation(f"Invalid {field_name} value '{token}' in cron expression.")
    value = int(token)
    if not low <= value <= high:
        raise _validation(f"{field_name} value {value} is out of range [{low}-{high}] in cron expression.")
    return value


def _values(text: str, low: int, high: int, field_name: str, names: dict[str, int] | None = None) -> set[int]:
    """A plain field (``*``, ``a``, ``a-b``, ``a/s``, ``*/s``, ``a-b/s`` and lists of them)."""
    out: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise _validation(f"Invalid step '{step_text}' in cron {field_name} field.")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first = _number(a, low, high, names, field_name)
            last = _number(b, low, high, names, field_name)
            if first > last:
                raise _validation(f"Invalid range '{base}' in cron {field_name} field.")
        else:
            first = _number(base, low, high, names, field_name)
            last = high if step_text else first
        out.update(range(first, last + 1, step))
    return out


@dataclass(frozen=True)
class Cron:
    """A parsed ``cron(...)`` expression (see the module docstring for the accepted syntax)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    dom: frozenset[int] | None = None  # plain day-of-month values; None when '?' or special
    dom_special: str | None = None  # "L", "LW" or "<n>W"
    dow: frozenset[int] | None = None
    dow_special: str | None = None  # "L", "<n>L" or "<n>#<k>"

    @classmethod
    def parse(cls, text: str) -> Cron:
        fields = text.split()
        if len(fields) != 6:
            raise _validation(
                "A cron expression has six fields: minutes hours day-of-month month day-of-week year."
            )
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise _validation("Exactly one of the day-of-month and day-of-week cron fields must be '?'.")
        kwargs: dict[str, Any] = {
            "minutes": frozenset(_values(minute, 0, 59, "minutes")),
            "hours": frozenset(_values(hour, 0, 23, "hours")),
            "months": frozenset(_values(month, 1, 12, "month", _MONTHS)),
            "years": frozenset(_values(year, *_YEARS, "year")),
        }
        if dom != "?":
            if re.fullmatch(r"L|LW|\d{1,2}W", dom):
                if dom[0].isdigit():
                    _number(dom[:-1], 1, 31, None, "day-of-month")
                kwargs["dom_special"] = dom
            else:
                kwargs["dom"] = frozenset(_values(dom, 1, 31, "day-of-month"))
        if dow != "?":
            if dow == "L" or re.fullmatch(r"\w{1,3}L|\w{1,3}#\d", dow):
                if dow != "L":
                    if "#" in dow:
                        day_text, _, nth = dow.partition("#")
                        if not 1 <= int(nth) <= 5:
                            raise _validation(f"Invalid '#' value in cron day-of-week field '{dow}'.")
                    else:
                        day_text = dow[:-1]
                    _number(day_text, 1, 7, _DAYS, "day-of-week")
                kwargs["dow_special"] = dow.upper()
            else:
                kwargs["dow"] = frozenset(_values(dow, 1, 7, "day-of-week", _DAYS))
        return cls(**kwargs)

    def matches_day(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.dom is not None:
            return day.day in self.dom
        if self.dom_special is not None:
            spec = self.dom_special
            if spec == "L":
                return day.day == last
            target = last if spec == "LW" else int(spec[:-1])
            if target > last:
                return False
            return day.day == _nearest_weekday(day.year, day.month, target)
        weekday = _aws_weekday(day)
        if self.dow is not None:
            return weekday in self.dow
        spec = self.dow_special or ""
        if spec == "L":
            return weekday == 7
        if "#" in spec:
            day_text, _, nth = spec.partition("#")
            return weekday == _number(day_text, 1, 7, _DAYS, "") and (day.day - 1) // 7 + 1 == int(nth)
        return weekday == _number(spec[:-1], 1, 7, _DAYS, "") and day.day + 7 > last

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime | None:
        """The first time strictly after ``after`` (aware) in ``tz``, as UTC; None if there is none."""
        local = after.astimezone(tz)
        day = local.date()
        hours = sorted(self.hours)
        minutes = sorted(self.minutes)
        while day.year <= max(self.years):
            if day.year not in self.years:
                day = date(day.year + 1, 1, 1)
                continue
            if day.month not in self.months:
                day = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
                continue
            if self.matches_day(day):
                for hour in hours:
                    for minute in minutes:
                        candidate = _local_to_utc(datetime(day.year, day.month, day.day, hour, minute), tz)
                        if candidate is not None and candidate > after:
                            return candidate
            day += timedelta(days=1)
        return None


def _nearest_weekday(year: int, month: int, target: int) -> int:
    """The weekday (Mon-Fri) nearest ``target`` within the month, as cron's ``W``."""
    last = calendar.monthrange(year, month)[1]
    weekday = date(year, month, target).weekday()  # Mon=0
    if weekday == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return target - 1 if target > 1 else target + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return target + 1 if target < last else target - 2
    return target


def _local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime | None:
    """A wall-clock time in ``tz`` as UTC; None if DST skips it; its first occurrence if repeated."""
    aware = naive.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return utc


# ------------------------------------------------------------ expressions


@dataclass(frozen=True)
class Expression:
    """A parsed schedule expression: exactly one of ``at`` (naive local), ``rate`` or ``cron``."""

    text: str
    at: datetime | None = None
    rate: timedelta | None = None
    cron: Cron | None = None

    @property
    def one_time(self) -> bool:
        return self.at is not None

    @classmethod
    def parse(cls, text: str) -> Expression:
        if match := _AT.match(text):
            year, month, day, hour, minute, second = (int(part) for part in match.groups())
            try:
                at = datetime(year, month, day, hour, minute, second)
            except ValueError as exc:
                raise _validation(f"Invalid Schedule Expression {text}.") from exc
            return cls(text, at=at)
        if match := _RATE.match(text):
            value = int(match.group(1))
            if value < 1:
                raise _validation(f"Invalid Schedule Expression {text}.")
            return cls(text, rate=timedelta(seconds=value * _RATE_UNITS[match.group(2).rstrip("s")]))
        if match := _CRON.match(text):
            return cls(text, cron=Cron.parse(match.group(1)))
        raise _validation(f"Invalid Schedule Expression {text}.")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _validation(f"Invalid ScheduleExpressionTimezone {name}.") from exc


def at_time(expression: str, timezone: str = "UTC") -> datetime:
    """When ``at(...)`` in ``timezone`` fires, in UTC (see the module docstring for DST gaps)."""
    parsed = Expression.parse(expression)
    if parsed.at is None:
        raise _validation(f"{expression} is not a one-time (at) expression.")
    return parsed.at.replace(tzinfo=zone(timezone), fold=0).astimezone(UTC)


# ------------------------------------------------------------ schedules


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _epoch(value: datetime) -> float:
    return (value - _EPOCH).total_seconds()


@dataclass
class Schedule:
    """One schedule as stored: the request's fields plus bookkeeping."""

    name: str
    group: str
    expression: str
    timezone: str
    state: str
    target: dict[str, Any]
    flexible_time_window: dict[str, Any]
    action_after_completion: str
    created: datetime
    modified: datetime
    description: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    kms_key_arn: str | None = None
    client_token: str | None = None
    next_due: datetime | None = None  # None: disabled, completed or never
    version: int = 0  # new for every create/update: a finishing delivery leaves a replaced schedule alone
    parsed: Expression = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.parsed = Expression.parse(self.expression)

    @property
    def arn(self) -> str:
        return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{self.group}/{self.name}"

    def next_after(self, after: datetime) -> datetime | None:
        """The first invocation strictly after ``after``."""
        expr = self.parsed
        when: datetime | None
        if expr.at is not None:
            when = expr.at.replace(tzinfo=zone(self.timezone), fold=0).astimezone(UTC)
            return when if when > after else None
        if self.start_date is not None and after < self.start_date:
            after = self.start_date - timedelta(microseconds=1)
        if expr.rate is not None:
            anchor = self.start_date or self.modified
            if after < anchor:
                when = anchor
            else:
                steps = (after - anchor) // expr.rate + 1
                when = anchor + steps * expr.rate
        else:
            assert expr.cron is not None
            when = expr.cron.next_after(after, zone(self.timezone))
        if when is not None and self.end_date is not None and when >= self.end_date:
            return None
        return when

    def first_due(self) -> datetime | None:
        if self.state != "ENABLED":
            return None
        if self.parsed.at is not None:  # one-time: fires even if already past
            return self.parsed.at.replace(tzinfo=zone(self.timezone), fold=0).astimezone(UTC)
        if self.parsed.rate is not None and self.start_date is None:
            return self.next_after(self.modified - timedelta(microseconds=1))
        return self.next_after(self.modified)

    def target_out(self) -> dict[str, Any]:
        target = copy.deepcopy(self.target)
        policy = target.setdefault("RetryPolicy", {})
        policy.setdefault("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S)
        policy.setdefault("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS)
        return target

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Arn": self.arn,
            "GroupName": self.group,
            "Name": self.name,
            "ScheduleExpression": self.expression,
            "ScheduleExpressionTimezone": self.timezone,
            "State": self.state,
            "CreationDate": _epoch(self.created),
            "LastModificationDate": _epoch(self.modified),
            "Target": self.target_out(),
            "FlexibleTimeWindow": self.flexible_time_window,
            "ActionAfterCompletion": self.action_after_completion,
        }
        if self.description is not None:
            out["Description"] = self.description
        if self.start_date is not None:
            out["StartDate"] = _epoch(self.start_date)
        if self.end_date is not None:
            out["EndDate"] = _epoch(self.end_date)
        if self.kms_key_arn is not None:
            out["KmsKeyArn"] = self.kms_key_arn
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "Arn": self.arn,
            "Name": self.name,
            "GroupName": self.group,
            "State": self.state,
            "CreationDate": _epoch(self.created),
            "LastModificationDate": _epoch(self.modified),
            "Target": {"Arn": self.target["Arn"]},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "GroupName": self.group,
            "ScheduleExpression": self.expression,
            "ScheduleExpressionTimezone": self.timezone,
            "State": self.state,
            "Target": self.target,
            "FlexibleTimeWindow": self.flexible_time_window,
            "ActionAfterCompletion": self.action_after_completion,
            "CreationDate": _iso(self.created),
            "LastModificationDate": _iso(self.modified),
            "Description": self.description,
            "StartDate": _iso(self.start_date) if self.start_date else None,
            "EndDate": _iso(self.end_date) if self.end_date else None,
            "KmsKeyArn": self.kms_key_arn,
            "ClientToken": self.client_token,
            "NextDue": _iso(self.next_due) if self.next_due else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schedule:
        created = _from_iso(data["CreationDate"])
        modified = _from_iso(data["LastModificationDate"])
        assert created is not None and modified is not None
        return cls(
            name=data["Name"],
            group=data["GroupName"],
            expression=data["ScheduleExpression"],
            timezone=data["ScheduleExpressionTimezone"],
            state=data["State"],
            target=data["Target"],
            flexible_time_window=data["FlexibleTimeWindow"],
            action_after_completion=data["ActionAfterCompletion"],
            created=created,
            modified=modified,
            description=data.get("Description"),
            start_date=_from_iso(data.get("StartDate")),
            end_date=_from_iso(data.get("EndDate")),
            kms_key_arn=data.get("KmsKeyArn"),
            client_token=data.get("ClientToken"),
            next_due=_from_iso(data.get("NextDue")),
        )


@dataclass
class Group:
    name: str
    created: datetime
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{self.name}"

    def describe(self) -> dict[str, Any]:
        return {
            "Arn": self.arn,
            "Name": self.name,
            "State": "ACTIVE",
            "CreationDate": _epoch(self.created),
            "LastModificationDate": _epoch(self.created),
        }


# ------------------------------------------------------------ request parsing


def _str(body: dict[str, Any], key: str, *, required: bool = False, max_len: int | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise _validation(
                f"1 validation error detected: Value null at '{key}' failed to satisfy constraint."
            )
        return None
    if not isinstance(value, str):
        raise _serialization(f"{key} must be a string.")
    if max_len is not None and len(value) > max_len:
        raise _validation(f"{key} must be at most {max_len} characters long.")
    return value


def _timestamp(body: dict[str, Any], key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _serialization(f"{key} must be a timestamp.")
    if isinstance(value, int | float):
        return _EPOCH + timedelta(seconds=value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise _serialization(f"{key} must be a timestamp.")


def _int_in(value: Any, key: str, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _validation(f"{key} must be an integer between {low} and {high}.")


def _check_name(value: str, what: str) -> None:
    if not _NAME.match(value):
        raise _validation(
            f"1 validation error detected: Value '{value}' at '{what}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+ and length 1-64."
        )


def _check_target(target: Any) -> dict[str, Any]:
    if not isinstance(target, dict):
        raise _validation("Target is required.")
    arn = _str(target, "Arn", required=True, max_len=1600)
    role = _str(target, "RoleArn", required=True, max_len=1600)
    assert arn is not None and role is not None
    if not _ROLE_ARN.match(role):
        raise _validation(f"Invalid RoleArn {role}.")
    if "Input" in target:
        payload = _str(target, "Input")
        if not payload:
            raise _validation("Target Input must not be empty.")
    policy = target.get("RetryPolicy")
    if policy is not None:
        if not isinstance(policy, dict):
            raise _validation("RetryPolicy must be an object.")
        _int_in(policy.get("MaximumEventAgeInSeconds"), "MaximumEventAgeInSeconds", 60, 86400)
        _int_in(policy.get("MaximumRetryAttempts"), "MaximumRetryAttempts", 0, 185)
    dlq = target.get("DeadLetterConfig")
    if dlq is not None:
        if not isinstance(dlq, dict):
            raise _validation("DeadLetterConfig must be an object.")
        dlq_arn = dlq.get("Arn")
        if dlq_arn is not None and (not isinstance(dlq_arn, str) or not _SQS_ARN.match(dlq_arn)):
            raise _validation(f"Invalid DeadLetterConfig Arn {dlq_arn}. It must be an SQS queue ARN.")
    return copy.deepcopy(target)


def _check_window(window: Any) -> dict[str, Any]:
    if not isinstance(window, dict) or window.get("Mode") not in ("OFF", "FLEXIBLE"):
        raise _validation("FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.")
    maximum = window.get("MaximumWindowInMinutes")
    if window["Mode"] == "FLEXIBLE":
        if maximum is None:
            raise _validation("MaximumWindowInMinutes is required when FlexibleTimeWindow.Mode is FLEXIBLE.")
        _int_in(maximum, "MaximumWindowInMinutes", 1, 1440)
    elif maximum is not None:
        raise _validation("MaximumWindowInMinutes can only be set when FlexibleTimeWindow.Mode is FLEXIBLE.")
    return dict(window)


# ------------------------------------------------------------ emulator


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """EventBridge Scheduler on loopback: ``routes(app, prefix)``, then ``await start()`` / ``await stop()``.

    ``deliver(target, payload)`` runs on a worker thread for each invocation attempt and raises on failure.
    ``clock`` (aware UTC datetimes) and ``max_sleep_s`` let tests run time faster; ``retry_delay_s`` is the
    first retry's backoff (doubled per attempt up to ``max_retry_delay_s``).
    """

    def __init__(
        self,
        data_dir: Path,
        deliver: Deliver,
        *,
        clock: Callable[[], datetime] = _utcnow,
        max_sleep_s: float = 30.0,
        retry_delay_s: float = 1.0,
        max_retry_delay_s: float = 60.0,
        missed_grace_s: float = 60.0,
    ) -> None:
        self.path = data_dir / "scheduler.json"
        self.deliver = deliver
        self.clock = clock
        self.max_sleep_s = max_sleep_s
        self.retry_delay_s = retry_delay_s
        self.max_retry_delay_s = max_retry_delay_s
        self.missed_grace = timedelta(seconds=missed_grace_s)
        self.groups: dict[str, Group] = {DEFAULT_GROUP: Group(DEFAULT_GROUP, clock())}
        self.schedules: dict[tuple[str, str], Schedule] = {}
        self.deliveries = 0  # completed invocation attempts (successful or not), for tests and logs
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._versions = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._task is not None:
            return
        self._load()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="scheduler")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._inflight.clear()
        self._save()

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = json.loads(self.path.read_text(encoding="utf-8"))
        for raw in data.get("groups", []):
            created = _from_iso(raw["CreationDate"]) or self.clock()
            self.groups[raw["Name"]] = Group(raw["Name"], created, raw.get("Tags", []))
        now = self.clock()
        for raw in data.get("schedules", []):
            schedule = Schedule.from_json(raw)
            if (
                schedule.state == "ENABLED"
                and schedule.next_due is not None
                and not schedule.parsed.one_time
                and schedule.next_due < now - self.missed_grace
            ):
                schedule.next_due = schedule.next_after(now - timedelta(microseconds=1))
            self.schedules[(schedule.group, schedule.name)] = schedule
        logger.info("scheduler: %d schedules loaded from %s", len(self.schedules), self.path)

    def _save(self) -> None:
        data = {
            "groups": [
                {"Name": g.name, "CreationDate": _iso(g.created), "Tags": g.tags}
                for g in self.groups.values()
                if g.name != DEFAULT_GROUP
            ],
            "schedules": [s.to_json() for s in self.schedules.values()],
        }
        atomic_write(self.path, json.dumps(data, indent=1))

    def _changed(self) -> None:
        self._save()
        self._wake.set()

    # ------------------------------------------------------------------ firing

    def next_due(self) -> datetime | None:
        """The earliest pending invocation over all schedules."""
        return min(
            (s.next_due for s in self.schedules.values() if s.state == "ENABLED" and s.next_due is not None),
            default=None,
        )

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self.clock()
            due = [
                s
                for s in self.schedules.values()
                if s.state == "ENABLED" and s.next_due is not None and s.next_due <= now
            ]
            for schedule in due:
                self._fire(schedule, now)
            if due:
                self._save()
            upcoming = self.next_due()
            timeout = self.max_sleep_s
            if upcoming is not None:
                timeout = min(max((upcoming - self.clock()).total_seconds(), 0.0), timeout)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _fire(self, schedule: Schedule, now: datetime) -> None:
        scheduled = schedule.next_due
        assert scheduled is not None
        following = schedule.next_after(scheduled)
        if following is not None and following < now - self.missed_grace:
            following = schedule.next_after(now - timedelta(microseconds=1))
        schedule.next_due = following
        last = following is None
        logger.info("scheduler: %s fires (scheduled %s)", schedule.arn, _iso(scheduled))
        task = asyncio.create_task(
            self._invoke(schedule.arn, schedule.target_out(), scheduled, last, schedule.version),
            name=f"scheduler:{schedule.name}",
        )
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    def _payload(
        self, target: dict[str, Any], arn: str, scheduled: datetime, execution: str, attempt: int
    ) -> str:
        payload = str(target.get("Input") or "{}")
        return (
            payload.replace("<aws.scheduler.schedule-arn>", arn)
            .replace("<aws.scheduler.scheduled-time>", scheduled.strftime("%Y-%m-%dT%H:%M:%SZ"))
            .replace("<aws.scheduler.execution-id>", execution)
            .replace("<aws.scheduler.attempt-number>", str(attempt))
        )

    async def _invoke(
        self, arn: str, target: dict[str, Any], scheduled: datetime, last: bool, version: int
    ) -> None:
        policy = target["RetryPolicy"]
        max_retries = int(policy["MaximumRetryAttempts"])
        max_age = timedelta(seconds=int(policy["MaximumEventAgeInSeconds"]))
        execution = str(uuid.uuid4())
        delay = self.retry_delay_s
        attempt = 0
        while True:
            attempt += 1
            payload = self._payload(target, arn, scheduled, execution, attempt)
            try:
                await asyncio.to_thread(self.deliver, copy.deepcopy(target), payload)
            except Exception as exc:
                self.deliveries += 1
                exhausted = None
                if attempt > max_retries:
                    exhausted = "MaximumRetryAttempts"
                elif self.clock() + timedelta(seconds=delay) - scheduled > max_age:
                    exhausted = "MaximumEventAgeInSeconds"
                if exhausted is None:
                    logger.warning("scheduler: %s attempt %d failed (%s); retrying", arn, attempt, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.max_retry_delay_s)
                    continue
                logger.error("scheduler: %s failed after %d attempts: %s", arn, attempt, exc)
                await self._dead_letter(arn, target, payload, exc, exhausted, attempt - 1)
                break
            else:
                self.deliveries += 1
                break
        if last:
            self._complete(arn, version)

    async def _dead_letter(
        self, arn: str, target: dict[str, Any], payload: str, exc: Exception, condition: str, retries: int
    ) -> None:
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq:
            return
        attributes = {
            "ERROR_CODE": type(exc).__name__,
            "ERROR_MESSAGE": str(exc)[:1000] or type(exc).__name__,
            "EXHAUSTED_RETRY_CONDITION": condition,
            "RETRY_ATTEMPTS": str(retries),
            "SCHEDULE_ARN": arn,
            "TARGET_ARN": str(target["Arn"]),
        }
        dead = {
            "Arn": dlq,
            "MessageAttributes": {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        }
        try:
            await asyncio.to_thread(self.deliver, dead, payload)
        except Exception:
            logger.exception("scheduler: could not deliver to the dead-letter queue %s", dlq)

    def _complete(self, arn: str, version: int) -> None:
        for key, schedule in list(self.schedules.items()):
            if (
                schedule.arn == arn
                and schedule.version == version
                and schedule.next_due is None
                and schedule.action_after_completion == "DELETE"
            ):
                del self.schedules[key]
                logger.info("scheduler: %s completed and deleted", arn)
                self._changed()

    # ------------------------------------------------------------------ HTTP

    def routes(self, app: web.Application, prefix: str) -> None:
        prefix = prefix.rstrip("/")
        app.router.add_get(f"{prefix}/schedules", self._list_schedules)
        app.router.add_route("*", f"{prefix}/schedules/{{name}}", self._schedule)
        app.router.add_get(f"{prefix}/schedule-groups", self._list_groups)
        app.router.add_route("*", f"{prefix}/schedule-groups/{{name}}", self._group)

    @staticmethod
    def _error(exc: SchedulerError) -> web.Response:
        return web.json_response(
            {"Message": exc.message},
            status=exc.status,
            headers={"x-amzn-ErrorType": exc.code, "x-amzn-RequestId": str(uuid.uuid4())},
        )

    @staticmethod
    def _ok(body: dict[str, Any]) -> web.Response:
        return web.json_response(body, headers={"x-amzn-RequestId": str(uuid.uuid4())})

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise SchedulerError(
                "SerializationException", 400, "The request body is not valid JSON."
            ) from exc
        if not isinstance(body, dict):
            raise _serialization("The request body must be a JSON object.")
        return body

    async def _schedule(self, request: web.Request) -> web.Response:
        try:
            name = request.match_info["name"]
            _check_name(name, "name")
            if request.method == "POST":
                return self._ok(self.create_schedule(name, await self._body(request)))
            if request.method == "PUT":
                return self._ok(self.update_schedule(name, await self._body(request)))
            group = request.query.get("groupName", DEFAULT_GROUP)
            if request.method == "GET":
                return self._ok(self.get_schedule(name, group))
            if request.method == "DELETE":
                self.delete_schedule(name, group)
                return self._ok({})
            raise _no_operation(request)
        except SchedulerError as exc:
            return self._error(exc)

    async def _group(self, request: web.Request) -> web.Response:
        try:
            name = request.match_info["name"]
            _check_name(name, "name")
            if request.method == "POST":
                return self._ok(self.create_group(name, await self._body(request)))
            if request.method == "GET":
                return self._ok(self._get_group(name).describe())
            if request.method == "DELETE":
                self.delete_group(name)
                return self._ok({})
            raise _no_operation(request)
        except SchedulerError as exc:
            return self._error(exc)

    async def _list_schedules(self, request: web.Request) -> web.Response:
        try:
            query = request.query
            group = query.get("ScheduleGroup")
            if group is not None:
                self._get_group(group)
            prefix = query.get("NamePrefix", "")
            state = query.get("State")
            if state is not None and state not in ("ENABLED", "DISABLED"):
                raise _validation("State must be ENABLED or DISABLED.")
            items = sorted(
                (s for s in self.schedules.values() if group is None or s.group == group),
                key=lambda s: (s.group, s.name),
            )
            items = [s for s in items if s.name.startswith(prefix) and (state is None or s.state == state)]
            page, token = self._page(items, query)
            body: dict[str, Any] = {"Schedules": [s.summary() for s in page]}
            if token:
                body["NextToken"] = token
            return self._ok(body)
        except SchedulerError as exc:
            return self._error(exc)

    async def _list_groups(self, request: web.Request) -> web.Response:
        try:
            prefix = request.query.get("NamePrefix", "")
            items = sorted(
                (g for g in self.groups.values() if g.name.startswith(prefix)), key=lambda g: g.name
            )
            page, token = self._page(items, request.query)
            body: dict[str, Any] = {"ScheduleGroups": [g.describe() for g in page]}
            if token:
                body["NextToken"] = token
            return self._ok(body)
        except SchedulerError as exc:
            return self._error(exc)

    @staticmethod
    def _page(items: list[Any], query: Any) -> tuple[list[Any], str | None]:
        try:
            size = int(query.get("MaxResults", "100"))
            start = int(base64.urlsafe_b64decode(query["NextToken"]).decode()) if "NextToken" in query else 0
        except ValueError as exc:
            raise _validation("Invalid MaxResults or NextToken.") from exc
        if not 1 <= size <= 100:
            raise _validation("MaxResults must be between 1 and 100.")
        end = start + size
        token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
        return items[start:end], token

    # ------------------------------------------------------------------ operations (also usable in-process)

    def _get_group(self, name: str) -> Group:
        group = self.groups.get(name)
        if group is None:
            raise _not_found(f"Schedule group {name} does not exist.")
        return group

    def _build(self, name: str, body: dict[str, Any], created: datetime | None) -> Schedule:
        group = _str(body, "GroupName") or DEFAULT_GROUP
        _check_name(group, "groupName")
        self._get_group(group)
        expression = _str(body, "ScheduleExpression", required=True, max_len=256)
        timezone = _str(body, "ScheduleExpressionTimezone", max_len=50) or "UTC"
        zone(timezone)
        state = _str(body, "State") or "ENABLED"
        if state not in ("ENABLED", "DISABLED"):
            raise _validation(f"Invalid State {state}.")
        action = _str(body, "ActionAfterCompletion") or "NONE"
        if action not in ("NONE", "DELETE"):
            raise _validation(f"Invalid ActionAfterCompletion {action}.")
        token = _str(body, "ClientToken")
        if token is not None and not _CLIENT_TOKEN.match(token):
            raise _validation("Invalid ClientToken.")
        start, end = _timestamp(body, "StartDate"), _timestamp(body, "EndDate")
        if start is not None and end is not None and end <= start:
            raise _validation("The EndDate must be after the StartDate.")
        now = self.clock()
        assert expression is not None
        schedule = Schedule(
            name=name,
            group=group,
            expression=expression,
            timezone=timezone,
            state=state,
            target=_check_target(body.get("Target")),
            flexible_time_window=_check_window(body.get("FlexibleTimeWindow")),
            action_after_completion=action,
            created=created or now,
            modified=now,
            description=_str(body, "Description", max_len=512),
            start_date=start,
            end_date=end,
            kms_key_arn=_str(body, "KmsKeyArn", max_len=2048),
            client_token=token,
        )
        schedule.next_due = schedule.first_due()
        schedule.version = next(self._versions)
        return schedule

    def create_schedule(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """CreateSchedule with the request's JSON body; returns the response body."""
        schedule = self._build(name, body, None)
        key = (schedule.group, name)
        existing = self.schedules.get(key)
        if existing is not None:
            if schedule.client_token is not None and existing.client_token == schedule.client_token:
                return {"ScheduleArn": existing.arn}  # an SDK retry of the same request
            raise _conflict(f"Schedule {name} already exists.")
        self.schedules[key] = schedule
        self._changed()
        return {"ScheduleArn": schedule.arn}

    def update_schedule(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """UpdateSchedule: replaces every field, as Scheduler does (omitted ones get their defaults)."""
        group = _str(body, "GroupName") or DEFAULT_GROUP
        existing = self.schedules.get((group, name))
        if existing is None:
            self._get_group(group)
            raise _not_found(f"Schedule {name} does not exist.")
        schedule = self._build(name, body, existing.created)
        self.schedules[(group, name)] = schedule
        self._changed()
        return {"ScheduleArn": schedule.arn}

    def get_schedule(self, name: str, group: str = DEFAULT_GROUP) -> dict[str, Any]:
        schedule = self.schedules.get((group, name))
        if schedule is None:
            self._get_group(group)
            raise _not_found(f"Schedule {name} does not exist.")
        return schedule.describe()

    def delete_schedule(self, name: str, group: str = DEFAULT_GROUP) -> None:
        if (group, name) not in self.schedules:
            self._get_group(group)
            raise _not_found(f"Schedule {name} does not exist.")
        del self.schedules[(group, name)]
        self._changed()

    def create_group(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name in self.groups:
            raise _conflict(f"Schedule group {name} already exists.")
        tags = body.get("Tags") or []
        if not isinstance(tags, list):
            raise _validation("Tags must be a list.")
        self.groups[name] = Group(name, self.clock(), tags)
        self._changed()
        return {"ScheduleGroupArn": self.groups[name].arn}

    def delete_group(self, name: str) -> None:
        if name == DEFAULT_GROUP:
            raise _validation("The default schedule group cannot be deleted.")
        self._get_group(name)
        del self.groups[name]
        for key in [k for k in self.schedules if k[0] == name]:
            del self.schedules[key]
        self._changed()
