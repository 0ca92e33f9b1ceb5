"""The agent factory: one Strands agent per run (the analysis by default: time tools, Prediction)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from calledit.budget import RunBudget
from calledit.prediction import Prediction
from calledit.prompting import SYSTEM_PROMPT

if TYPE_CHECKING:
    from strands import Agent
    from strands.hooks import HookProvider

    from calledit.providers.selection import ModelChoice

STRUCTURED_OUTPUT_TOOL = Prediction.__name__  # Strands names the structured output tool after the model


def create_agent(
    choice: ModelChoice,
    hooks: Sequence[HookProvider] = (),
    budget: RunBudget | None = None,
    *,
    tools: Sequence[Any] | None = None,
    system_prompt: str = SYSTEM_PROMPT,
    output: type[BaseModel] = Prediction,
) -> Agent:
    """A fresh agent (agents hold conversation state, so never share one between calls).

    Throttled model calls are retried by Strands; its default (6 attempts, up to 124 s of sleeping)
    would outlive a Lambda deadline, so the retries are sized to the run's budget.
    """
    from strands import Agent, ModelRetryStrategy

    from calledit.tools import TIME_TOOLS

    budget = budget or RunBudget()
    attempts = 3 if budget.timeout_s >= 60 else 2
    return Agent(
        model=choice.model,
        tools=list(TIME_TOOLS if tools is None else tools),
        system_prompt=system_prompt,
        callback_handler=None,  # the default handler prints to stdout
        hooks=list(hooks),
        structured_output_model=output,
        retry_strategy=ModelRetryStrategy(
            max_attempts=attempts, initial_delay=budget.throttle_retry_delay_s, max_delay=8
        ),
    )
