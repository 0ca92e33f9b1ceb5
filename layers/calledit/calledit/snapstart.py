"""SnapStart hooks: do the expensive start-up work before the snapshot, re-create what must be unique after.

Lambda SnapStart (python3.12+, published versions) snapshots the initialised execution environment
and restores it on cold starts. ``prime_*`` run in ``@register_before_snapshot``: imports (Strands,
the model provider, boto3), the model client and AWS clients. ``after_restore`` drops everything that
must not be shared between restored copies: cached clients (credentials, connections) and the random
state. Outside Lambda (no ``snapshot_restore_py``) registering is a no-op.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

logger = logging.getLogger(__name__)

Hook = Callable[[], None]


def register(before_snapshot: Hook, after_restore: Hook) -> None:
    """Register the hooks with the Lambda runtime when SnapStart is available."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found]  # Lambda runtime only
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)


def prime_worker() -> None:
    """Import the agent stack and build the configured model and AWS clients once."""
    import strands  # noqa: F401 - the import itself is the work being snapshotted

    from calledit.aws import dynamodb, lambda_client
    from calledit.providers.selection import select_model
    from calledit.tools import TIME_TOOLS  # noqa: F401

    select_model()
    dynamodb()
    lambda_client()
    logger.info("primed the stream worker for the snapshot")


def prime_api() -> None:
    """Build the REST resolver (routes, OpenAPI validation models) and the DynamoDB client."""
    from calledit.api.app import get_app
    from calledit.aws import dynamodb

    get_app()
    dynamodb()
    logger.info("primed the REST API for the snapshot")


def after_restore() -> None:
    """Forget what must be unique per environment: clients (credentials, sockets) and random state."""
    from calledit.aws import reset_clients

    reset_clients()
    random.seed()
