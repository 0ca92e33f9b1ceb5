"""CloudWatch metrics (Powertools Metrics, embedded metric format) for what matters about a run.

Namespace from POWERTOOLS_METRICS_NAMESPACE (template: CalledIt); the handler's ``log_metrics``
decorator flushes them. Dimensions stay low-cardinality: job kind and outcome only.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from calledit.protocol import Event, VerdictEvent
from calledit.usage import Usage

DEFAULT_NAMESPACE = "CalledIt"
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE)


def record_run(
    *, kind: str, outcome: str, usage: Usage, first_frame_ms: float | None, posts: int, job_writes: int
) -> None:
    """One finished run: its outcome, spend and how fast the user saw something."""
    metrics.add_dimension(name="kind", value=kind)
    metrics.add_dimension(name="outcome", value=outcome)
    metrics.add_metric(name="Runs", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="InputTokens", unit=MetricUnit.Count, value=usage.input_tokens)
    metrics.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=usage.output_tokens)
    metrics.add_metric(name="ModelCalls", unit=MetricUnit.Count, value=usage.model_calls)
    metrics.add_metric(name="Posts", unit=MetricUnit.Count, value=posts)
    metrics.add_metric(name="JobWrites", unit=MetricUnit.Count, value=job_writes)
    if first_frame_ms is not None:
        metrics.add_metric(name="FirstFrameLatency", unit=MetricUnit.Milliseconds, value=first_frame_ms)


def record_verification(*, final: Event | None, usage: Usage) -> None:
    """One scheduled verification: how it ended and its spend. No dimensions: a batch may hold
    several, and dimensions are per flush."""
    if isinstance(final, VerdictEvent):
        name = "VerdictsApplied" if final.applied else "VerdictsProposed"
    else:
        name = "VerificationsFailed"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="VerificationInputTokens", unit=MetricUnit.Count, value=usage.input_tokens)
    metrics.add_metric(name="VerificationOutputTokens", unit=MetricUnit.Count, value=usage.output_tokens)
    metrics.add_metric(name="VerificationModelCalls", unit=MetricUnit.Count, value=usage.model_calls)
