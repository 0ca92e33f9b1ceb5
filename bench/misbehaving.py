"""Misbehaving models end within budget; what the runner adds per model turn.

1. Through the real ``openai`` client against the scripted OpenAI-compatible server
   (tests/providers/scripted.py) with the production budget (8 turns, one structured-output repair,
   3 Strands attempts x 3 SDK attempts on throttling, 240 s deadline): model requests and wall time
   until each misbehaving run ends, and its terminal code.
2. Runner overhead per model turn, side by side in one run: the bare Strands agent loop
   (``Agent.stream_async`` with the same tools and model, no hooks, no queue) vs ``runner.stream_analysis``
   (hooks, event queue, grounding), both over an in-process scripted model with zero latency.

    .venv/bin/python bench/misbehaving.py [--repeat 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "providers"))
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import machine_line, table, write_results  # noqa: E402
from scripted import (  # noqa: E402
    Response,
    Script,
    ScriptedServer,
    ToolCall,
    always_throttled,
    invalid_structured_output,
    prose_only,
)

from calledit.agent_run import RunReport  # noqa: E402
from calledit.analysis import analyse  # noqa: E402
from calledit.budget import RunBudget  # noqa: E402
from calledit.protocol import CompleteEvent, ErrorEvent  # noqa: E402

STATEMENT = "The S&P 500 will close above 7000 by March 2027"


def looping() -> Script:
    return Script.of(Response(tool_calls=[ToolCall("current_time", {"timezone": "UTC"})]), name="looping")


SCENARIOS = {
    "structured output never validates": invalid_structured_output,
    "prose instead of structured output": prose_only,
    "tool calls forever": looping,
    "throttled forever (Retry-After 1 s)": lambda: always_throttled(retry_after=1.0),
}


async def misbehaving(budget: RunBudget) -> list[dict[str, Any]]:
    rows = []
    for name, script in SCENARIOS.items():
        async with ScriptedServer("openai", script()) as server:
            for key, value in server.client_env().items():
                os.environ[key] = value
            report = RunReport()
            started = time.perf_counter()
            events = await analyse(STATEMENT, "Europe/Paris", budget=budget, report=report)
            seconds = time.perf_counter() - started
            final = events[-1]
            code = final.code.value if isinstance(final, ErrorEvent) else final.type
            rows.append(
                {
                    "scenario": name,
                    "http_requests": server.request_count,
                    "model_calls": report.usage.model_calls,
                    "turns": report.usage.turns,
                    "seconds": round(seconds, 2),
                    "terminal": code,
                    "within_budget": server.request_count <= 9 and seconds < budget.timeout_s,
                }
            )
    return rows


def _scripted_steps() -> list[Any]:
    from scripted_model import Step, tool_results

    def answer(messages: Any) -> Step:
        utc = tool_results(messages)["parse_date_with_timezone"]["utc"]
        return Step(
            tools=[
                (
                    "Prediction",
                    {
                        "prediction_statement": STATEMENT,
                        "verification_date": utc,
                        "date_reasoning": "From the tool.",
                        "verification_method": {"source": ["S&P"], "criteria": ["> 7000"], "steps": ["Look"]},
                        "verifiable_category": "api_tool_verifiable",
                        "category_reasoning": "Market data.",
                    },
                )
            ]
        )

    return [
        Step(text="Checking the time. " * 5, tools=[("current_time", {"timezone": "Europe/Paris"})]),
        Step(text="Resolving. " * 5, tools=[("parse_date_with_timezone", {"date_text": "by March 2027"})]),
        answer,
    ]


async def overhead(repeat: int) -> dict[str, Any]:
    from scripted_model import ScriptedModel
    from strands import Agent

    from calledit.prediction import Prediction
    from calledit.prompting import SYSTEM_PROMPT, format_request
    from calledit.providers.selection import ModelChoice
    from calledit.tools import TIME_TOOLS

    async def bare() -> float:
        agent = Agent(
            model=ScriptedModel(_scripted_steps()),
            tools=list(TIME_TOOLS),
            system_prompt=SYSTEM_PROMPT,
            callback_handler=None,
            structured_output_model=Prediction,
        )
        started = time.perf_counter()
        async for _ in agent.stream_async(format_request(STATEMENT, "Europe/Paris")):
            pass
        return time.perf_counter() - started

    async def ours() -> float:
        started = time.perf_counter()
        events = await analyse(
            STATEMENT, "Europe/Paris", choice=ModelChoice(ScriptedModel(_scripted_steps()), "scripted")
        )
        assert isinstance(events[-1], CompleteEvent)
        return time.perf_counter() - started

    await bare()
    await ours()  # warm imports and caches
    bare_times, our_times = [], []
    for _ in range(repeat):  # interleaved so machine noise hits both alike
        bare_times.append(await bare())
        our_times.append(await ours())
    turns = 3
    b, o = statistics.median(bare_times), statistics.median(our_times)
    return {
        "turns_per_call": turns,
        "bare_median_ms": round(b * 1000, 2),
        "runner_median_ms": round(o * 1000, 2),
        "ratio": round(o / b, 3),
        "added_per_turn_ms": round((o - b) * 1000 / turns, 2),
        "repeat": repeat,
    }


async def main_async(args: argparse.Namespace) -> int:
    logging.getLogger().addHandler(logging.NullHandler())  # the runs' expected failures are logged
    budget = RunBudget.from_env()
    rows = await misbehaving(budget)
    print(machine_line())
    print(
        f"budget: {budget.max_turns} turns, {budget.max_output_tokens} output tokens, "
        f"{budget.timeout_s:.0f} s"
    )
    print(
        table(
            ["scenario", "HTTP requests", "model calls", "turns", "seconds", "terminal", "within budget"],
            [[r[k] for k in r] for r in rows],
        )
    )
    cost = await overhead(args.repeat)
    print(
        f"\nrunner overhead ({cost['repeat']} runs, {cost['turns_per_call']} model turns per call, "
        "zero-latency model):"
        f" bare agent {cost['bare_median_ms']} ms, runner {cost['runner_median_ms']} ms,"
        f" ratio {cost['ratio']}x, +{cost['added_per_turn_ms']} ms per turn"
    )
    if args.json:
        print(write_results("misbehaving", {"scenarios": rows, "overhead": cost}))
    return 0 if all(r["within_budget"] for r in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
