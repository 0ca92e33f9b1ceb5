"""Command line: ``calledit call "<prediction>"`` streams an analysis; ``calledit verify`` runs one
verification (of a statement, or of a saved prediction by id); ``calledit eval`` scores the
configured model on the evaluation dataset; ``calledit dev`` runs the local stack.

Exit codes: 0 ok, 1 model/runtime failure, 2 bad input, 130 interrupted. Failures are one line on
stderr; ``--verbose`` adds the log (with tracebacks).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from calledit.errors import BadInput, CallError, ErrorCode
from calledit.protocol import (
    ClarifyEvent,
    CompleteEvent,
    ErrorEvent,
    Event,
    StatusEvent,
    TextEvent,
    ToolEvent,
    VerdictEvent,
)
from calledit.saved import UNSAVED

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
_PREDICTION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_BAD_INPUT_CODES = {ErrorCode.BAD_REQUEST, ErrorCode.TOO_LARGE}


def _read_prompt(value: str) -> str:
    """The prediction from argv, or stdin for ``-``; refuse bytes that are not UTF-8."""
    if value == "-":
        raw = sys.stdin.buffer.read()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("the prediction is not valid UTF-8 text") from None
    try:
        value.encode("utf-8")  # argv undecodable bytes arrive as lone surrogates
    except UnicodeEncodeError:
        raise BadInput("the prediction is not valid UTF-8 text") from None
    return value


class _Printer:
    """Human-readable rendering of the event stream."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self._mid_line = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, TextEvent):
            self.out.write(event.content)
            self._mid_line = not event.content.endswith("\n")
        elif isinstance(event, ToolEvent):
            self._newline()
            if event.phase == "start":
                args = ", ".join(f"{k}={v!r}" for k, v in event.input.items())
                self.out.write(f"  → {event.label}: {event.name}({args})\n")
            else:
                self.out.write(
                    f"  ← {event.name} {'ok' if event.status == 'success' else 'failed'}: {event.result}\n"
                )
        elif isinstance(event, StatusEvent):
            self._newline()
            self.err.write(f"[{event.status}] {event.message}\n")
        elif isinstance(event, CompleteEvent):
            self._newline()
            self.out.write(
                render_prediction(
                    event.prediction.model_dump(mode="json"),
                    event.model,
                    event.verifiability.model_dump() if event.verifiability else None,
                )
            )
        elif isinstance(event, ClarifyEvent):
            self._newline()
            self.err.write(f"[question] round {event.round}: {' / '.join(q.text for q in event.questions)}\n")
        elif isinstance(event, VerdictEvent):
            self._newline()
            self.out.write(render_verdict(event))
        elif isinstance(event, ErrorEvent):
            self._newline()
            self.err.write(f"error ({event.code}): {event.message}\n")
        self.out.flush()

    def _newline(self) -> None:
        if self._mid_line:
            self.out.write("\n")
            self._mid_line = False


def render_prediction(
    prediction: dict[str, object], model: str, verifiability: dict[str, Any] | None = None
) -> str:
    """The final prediction as an aligned, readable block."""
    method = prediction.get("verification_method")
    method = method if isinstance(method, dict) else {}

    def block(title: str, items: object, numbered: bool = False) -> list[str]:
        values = items if isinstance(items, list) else []
        return [
            f"{title if i == 0 else '':<13}{f'{i + 1}.' if numbered else '-'} {v}"
            for i, v in enumerate(values)
        ]

    when = str(prediction.get("verification_date", ""))
    lines = [
        "",
        "─" * 60,
        f"{'Prediction':<13}{prediction.get('prediction_statement', '')}",
        f"{'Verify on':<13}{_local(when)} ({when})",
        f"{'Why then':<13}{prediction.get('date_reasoning', '')}",
        f"{'Category':<13}{prediction.get('verifiable_category', '')}",
        f"{'':<13}{prediction.get('category_reasoning', '')}",
        *block("Sources", method.get("source")),
        *block("Criteria", method.get("criteria")),
        *block("Steps", method.get("steps"), numbered=True),
        *block(
            "Clarified",
            [
                f"{c.get('question')} {c.get('answer')}"
                for c in prediction.get("clarifications") or []  # type: ignore[attr-defined]
                if isinstance(c, dict)
            ],
        ),
        *_checkable(verifiability),
        f"{'Status':<13}{prediction.get('initial_status', 'pending')}",
        f"{'Model':<13}{model}",
        "─" * 60,
        "",
    ]
    return "\n".join(lines)


def render_verdict(event: VerdictEvent) -> str:
    """A verdict as a readable block: outcome, confidence, evidence with links, reasoning."""
    verdict = event.verdict
    evidence = [
        f"{'Evidence' if i == 0 else '':<13}- {e.source}: {e.finding}" + (f" <{e.url}>" if e.url else "")
        for i, e in enumerate(verdict.evidence)
    ] or [f"{'Evidence':<13}none found"]
    if event.prediction_id == UNSAVED:
        settled = "would resolve the call by itself" if event.applied else "would be proposed to the owner"
    else:
        settled = (
            "applied: the call is resolved" if event.applied else "proposed: confirm or override in the app"
        )
    lines = [
        "",
        "─" * 60,
        f"{'Outcome':<13}{verdict.outcome} ({round(verdict.confidence * 100)}% confident)",
        *evidence,
        f"{'Reasoning':<13}{verdict.reasoning}",
        f"{'Checked':<13}{_local(verdict.checked_at.isoformat())} ({verdict.mode})",
        f"{'Verdict':<13}{settled}",
        f"{'Model':<13}{verdict.model}",
        "─" * 60,
        "",
    ]
    return "\n".join(lines)


def _checkable(verifiability: dict[str, Any] | None) -> list[str]:
    if not verifiability:
        return []
    parts = ", ".join(f"{d['name']} {d['score']:.1f}" for d in verifiability["dimensions"])
    tips = [f"{'':<13}Tip: {tip}" for tip in verifiability.get("tips", [])]
    return [f"{'Checkable':<13}{verifiability['score']:.2f} ({parts})", *tips]


def _local(utc_iso: str) -> str:
    try:
        return (
            datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M %Z")
        )
    except ValueError:
        return utc_iso


def _answerer(args: argparse.Namespace, err: TextIO) -> Callable[[ClarifyEvent], dict[str, object]]:
    """Answers to the agent's questions: ``--answer id=text``, else asked on a terminal, else skipped."""
    from calledit.clarification import answers_response, skip_response

    given = dict(item.partition("=")[::2] for item in args.answer or [])

    def answer(asked: ClarifyEvent) -> dict[str, object]:
        pending = {q.id: q for q in asked.questions}
        answers = {qid: text.strip() for qid, text in given.items() if qid in pending and text.strip()}
        if answers:
            return answers_response(answers)
        if not sys.stdin.isatty():
            err.write("The analysis asked (not a terminal, so it goes on with stated assumptions):\n")
            for q in asked.questions:
                err.write(f"  {q.id}: {q.text}  (answer with --answer {q.id}=...)\n")
            return skip_response("no_tty")
        for q in asked.questions:
            err.write(f"\n{q.text}\n" + (f"  ({q.why})\n" if q.why else ""))
            for i, suggestion in enumerate(q.suggestions, 1):
                err.write(f"  {i}. {suggestion}\n")
            err.write("Your answer (a number, your own words, or Enter to skip): ")
            err.flush()
            reply = sys.stdin.readline().strip()
            if reply.isdigit() and 1 <= int(reply) <= len(q.suggestions):
                reply = q.suggestions[int(reply) - 1]
            if reply:
                answers[q.id] = reply[:500]
        return answers_response(answers) if answers else skip_response()

    return answer


async def _call(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from calledit.analysis import stream_analysis  # deferred: `calledit --help` stays instant

    printer = _Printer(out, err)
    final: Event | None = None
    async for event in stream_analysis(
        args.prompt, args.timezone, clarify=not args.no_clarify, answer=_answerer(args, err)
    ):
        final = event
        if args.events:
            out.write(json.dumps(event.model_dump(mode="json"), ensure_ascii=False) + "\n")
            out.flush()
        elif args.json:
            if isinstance(event, ErrorEvent):
                printer(event)
        else:
            printer(event)
    if isinstance(final, CompleteEvent):
        if args.json:
            out.write(
                json.dumps(
                    {**final.prediction.model_dump(mode="json"), "model": final.model},
                    indent=2,
                    ensure_ascii=False,
                )
                + "\n"
            )
        return EXIT_OK
    if isinstance(final, ErrorEvent):
        return EXIT_BAD_INPUT if final.code in _BAD_INPUT_CODES else EXIT_FAILURE
    return EXIT_FAILURE


def _emit(args: argparse.Namespace, printer: _Printer, out: TextIO, event: Event) -> None:
    if args.events:
        out.write(json.dumps(event.model_dump(mode="json"), ensure_ascii=False) + "\n")
        out.flush()
    elif not args.json or isinstance(event, ErrorEvent):
        printer(event)


async def _verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Verify a saved prediction (an id, with --user) or a statement analysed first, then verified."""
    from calledit.verification.run import stream_verification

    printer = _Printer(out, err)
    final: Event | None = None
    if _PREDICTION_ID.match(args.target):
        if not args.user:
            raise BadInput("verifying a saved prediction needs its owner: --user <user id>")
        from calledit.storage.predictions import PredictionStore
        from calledit.verification.service import verify_saved

        stream = verify_saved(args.user, args.target, store=PredictionStore())
    else:
        from calledit.analysis import stream_analysis
        from calledit.saved import SavedPrediction

        async for event in stream_analysis(_read_prompt(args.target), args.timezone, clarify=False):
            final = event
            if isinstance(event, (CompleteEvent, ErrorEvent)) or args.events:
                _emit(args, printer, out, event)
        if not isinstance(final, CompleteEvent):
            return _exit_code(final)
        stream = stream_verification(SavedPrediction.unsaved(final.prediction, args.timezone, final.model))
    async for event in stream:
        final = event
        _emit(args, printer, out, event)
    if isinstance(final, VerdictEvent) and args.json:
        out.write(json.dumps(final.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK if isinstance(final, VerdictEvent) else _exit_code(final)


def _exit_code(final: Event | None) -> int:
    if isinstance(final, ErrorEvent) and final.code in _BAD_INPUT_CODES:
        return EXIT_BAD_INPUT
    return EXIT_FAILURE


def _configure_logging(verbose: bool) -> None:
    """Quiet by default (the CLI prints its own one-line errors); ``--verbose`` shows logs and traces."""
    import logging

    root = logging.getLogger()
    if verbose:
        logging.basicConfig(
            level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
        )
    elif not root.handlers:
        root.addHandler(logging.NullHandler())  # keeps Python's last-resort handler from printing traces


async def _eval(args: argparse.Namespace, out: TextIO) -> int:
    from calledit.evaluation.harness import DATASET, evaluate, load, render

    cases = load(args.dataset or DATASET)
    if args.limit:
        cases = cases[: args.limit]
    summary, outcomes = await evaluate(cases, concurrency=args.concurrency)
    if args.json:
        out.write(
            json.dumps({"summary": summary.as_dict(), "cases": [o.__dict__ for o in outcomes]}, indent=2)
            + "\n"
        )
    else:
        out.write(render(summary) + "\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The ``calledit`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="calledit", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="command", required=True)
    call = sub.add_parser("call", help="analyse a prediction and stream the result")
    call.add_argument(
        "prompt", help='the prediction, e.g. "Bitcoin will close above 150k by March 2027" (- reads stdin)'
    )
    call.add_argument(
        "--timezone", "-z", default=os.environ.get("TZ") or "UTC", help="IANA timezone, e.g. Europe/Paris"
    )
    mode = call.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print only the final prediction as JSON")
    mode.add_argument("--events", action="store_true", help="print every protocol event as a JSON line")
    call.add_argument("--verbose", "-v", action="store_true", help="show logs, with tracebacks, on stderr")
    call.add_argument(
        "--answer",
        action="append",
        metavar="ID=TEXT",
        help="answer a clarifying question without being asked, e.g. --answer by_when='end of May 2027'",
    )
    call.add_argument("--no-clarify", action="store_true", help="never ask questions: assume and say so")
    verify = sub.add_parser("verify", help="verify a statement, or a saved prediction by id, now")
    verify.add_argument(
        "target", help="a prediction statement (analysed first; - reads stdin) or a saved prediction's id"
    )
    verify.add_argument("--user", help="owner of the saved prediction (its user id) when target is an id")
    verify.add_argument(
        "--timezone", "-z", default=os.environ.get("TZ") or "UTC", help="IANA timezone, e.g. Europe/Paris"
    )
    verify_mode = verify.add_mutually_exclusive_group()
    verify_mode.add_argument("--json", action="store_true", help="print only the verdict as JSON")
    verify_mode.add_argument("--events", action="store_true", help="print every protocol event as JSON")
    verify.add_argument("--verbose", "-v", action="store_true", help="show logs, with tracebacks, on stderr")
    evaluation = sub.add_parser("eval", help="score the configured model on the evaluation dataset")
    evaluation.add_argument("--dataset", type=Path, help="a JSON-lines dataset (default: the bundled one)")
    evaluation.add_argument("--limit", type=int, default=0, help="only the first N cases")
    evaluation.add_argument("--concurrency", type=int, default=1, help="cases run at once (default 1)")
    evaluation.add_argument("--json", action="store_true", help="print the summary and every case as JSON")
    evaluation.add_argument("--verbose", "-v", action="store_true", help="show logs on stderr")
    dev = sub.add_parser("dev", help="run the whole app locally (gateway emulator, DynamoDB Local, web app)")
    try:
        local_cli = importlib.import_module("calledit.local.cli")
    except ImportError:  # the local stack needs the [local] extra (aiohttp, PyYAML)
        dev.set_defaults(dev_unavailable=True)
    else:
        local_cli.add_dev_arguments(dev)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    _configure_logging(getattr(args, "verbose", False))
    try:
        if args.command == "eval":
            return asyncio.run(_eval(args, out))
        if args.command == "dev":
            if getattr(args, "dev_unavailable", False):
                err.write("error: the local stack needs extra packages: pip install -e '.[local]'\n")
                return EXIT_FAILURE
            return int(importlib.import_module("calledit.local.cli").run_dev(args))
        if args.command == "verify":
            return asyncio.run(_verify(args, out, err))
        args.prompt = _read_prompt(args.prompt)
        return asyncio.run(_call(args, out, err))
    except CallError as exc:
        err.write(f"error ({exc.code}): {exc.message}\n")
        return EXIT_BAD_INPUT if exc.code in _BAD_INPUT_CODES else EXIT_FAILURE
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
