"""SnapStart hooks register with the Lambda runtime module when it exists, and do their work."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from calledit import snapstart


def test_hooks_register_with_the_runtime_and_run(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: dict[str, Any] = {}
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = lambda fn: registered.setdefault("before", fn)  # type: ignore[attr-defined]
    runtime.register_after_restore = lambda fn: registered.setdefault("after", fn)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    snapstart.register(snapstart.prime_worker, snapstart.after_restore)
    assert registered == {"before": snapstart.prime_worker, "after": snapstart.after_restore}

    from calledit import aws as clients

    registered["before"]()  # imports strands, builds the model and the clients
    assert "strands" in sys.modules
    primed = clients.dynamodb()
    registered["after"]()
    assert clients.dynamodb() is not primed  # restored copies never share a client (credentials, sockets)
    snapstart.prime_api()


def test_without_snapstart_registering_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    snapstart.register(snapstart.prime_worker, snapstart.after_restore)  # no error outside Lambda
