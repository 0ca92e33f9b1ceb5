"""What a run spent: tokens, model requests (retries included) and agent turns."""

from __future__ import annotations

from pydantic import BaseModel


class Usage(BaseModel):
    """Recorded on the job, sent in ``complete`` and kept with every verdict."""

    input_tokens: int = 0
    output_tokens: int = 0
    model_calls: int = 0
    turns: int = 0
