"""Runtime configuration, read from the environment (set by template.yaml or the local stack)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Names of the resources a handler talks to. Missing names fail loudly at first use."""

    predictions_table: str
    jobs_table: str
    connections_table: str
    stream_worker_function: str
    allowed_origins: tuple[str, ...]
    management_endpoint: str | None
    jwks_url: str
    token_issuer: str
    token_audience: str
    verify_queue_url: str = ""
    verify_queue_arn: str = ""
    verify_dead_letters_arn: str = ""
    clarify_timeout_queue_url: str = ""
    scheduler_role_arn: str = ""
    schedule_group: str = "default"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            predictions_table=env.get("PREDICTIONS_TABLE", "calledit-predictions"),
            jobs_table=env.get("JOBS_TABLE", "calledit-jobs"),
            connections_table=env.get("CONNECTIONS_TABLE", "calledit-connections"),
            stream_worker_function=env.get("STREAM_WORKER_FUNCTION", "calledit-stream-worker"),
            allowed_origins=_csv(env.get("ALLOWED_ORIGINS", "http://127.0.0.1:3001")),
            # Locally the emulator's management API is plain http; in AWS it is derived from the event.
            management_endpoint=env.get("CALLEDIT_MANAGEMENT_ENDPOINT") or None,
            jwks_url=env.get("CALLEDIT_JWKS_URL", ""),
            token_issuer=env.get("CALLEDIT_TOKEN_ISSUER", ""),
            token_audience=env.get("CALLEDIT_TOKEN_AUDIENCE", ""),
            verify_queue_url=env.get("VERIFY_QUEUE_URL", ""),
            verify_queue_arn=env.get("VERIFY_QUEUE_ARN", ""),
            verify_dead_letters_arn=env.get("VERIFY_DEAD_LETTERS_ARN", ""),
            clarify_timeout_queue_url=env.get("CLARIFY_TIMEOUT_QUEUE_URL", ""),
            scheduler_role_arn=env.get("SCHEDULER_ROLE_ARN", ""),
            schedule_group=env.get("SCHEDULE_GROUP", "default"),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process (cached: Lambda environments do not change while warm)."""
    return Settings.from_env()
