"""The agent factory: one Strands agent per call, with the time tools and the prediction schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from calledit.prompting import SYSTEM_PROMPT
from calledit.schema import Prediction

if TYPE_CHECKING:
    from strands import Agent

    from calledit.models.selection import ModelChoice

STRUCTURED_OUTPUT_TOOL = Prediction.__name__  # Strands names the structured output tool after the model


def create_agent(choice: ModelChoice, hooks: Sequence[Any] = ()) -> Agent:
    """A fresh agent (agents hold conversation state, so never share one between calls)."""
    from strands import Agent

    from calledit.tools import TIME_TOOLS

    return Agent(
        model=choice.model,
        tools=list(TIME_TOOLS),
        system_prompt=SYSTEM_PROMPT,
        callback_handler=None,  # the default handler prints to stdout
        hooks=list(hooks),
        structured_output_model=Prediction,
    )
