"""How much a run may spend: model turns, output tokens, wall-clock time, structured-output repairs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from calledit.errors import ModelUnavailable

DEFAULT_MAX_TURNS = 8
DEFAULT_MAX_OUTPUT_TOKENS = 4_096
DEFAULT_TIMEOUT_S = 240.0
# One chance to fix an invalid structured output (the validation error is shown to the model).
STRUCTURED_OUTPUT_REPAIRS = 1


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ModelUnavailable(f"{name} must be a number (got {raw!r})") from None
    if value <= 0:
        raise ModelUnavailable(f"{name} must be positive (got {raw!r})")
    return value


@dataclass(frozen=True)
class RunBudget:
    """Bounds of one agent run; hitting one ends the run with a clear error, never a hang."""

    max_turns: int = DEFAULT_MAX_TURNS
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS
    timeout_s: float = DEFAULT_TIMEOUT_S
    structured_output_repairs: int = STRUCTURED_OUTPUT_REPAIRS
    # First pause before Strands retries a throttled model call (then doubled, capped at 8 s).
    throttle_retry_delay_s: int = 2

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RunBudget:
        """CALLEDIT_MAX_TURNS, CALLEDIT_MAX_OUTPUT_TOKENS, CALLEDIT_RUN_TIMEOUT_S."""
        env = os.environ if env is None else env
        return cls(
            max_turns=int(_positive(env, "CALLEDIT_MAX_TURNS", DEFAULT_MAX_TURNS)),
            max_output_tokens=int(_positive(env, "CALLEDIT_MAX_OUTPUT_TOKENS", DEFAULT_MAX_OUTPUT_TOKENS)),
            timeout_s=_positive(env, "CALLEDIT_RUN_TIMEOUT_S", DEFAULT_TIMEOUT_S),
        )

    def within(self, seconds: float | None) -> RunBudget:
        """The same budget with its deadline no later than ``seconds`` from now."""
        if seconds is None or seconds >= self.timeout_s:
            return self
        return RunBudget(
            self.max_turns, self.max_output_tokens, max(1.0, seconds), self.structured_output_repairs
        )
