"""Run the template's handlers in this process, as Lambda would.

Synchronous invokes (API routes, the authorizer) and asynchronous ``Event`` invokes (the stream
worker) run on separate thread pools, so long jobs can never starve route handling. Functions behind
the REST API handle one request at a time, as one Lambda execution environment does: Powertools'
resolver keeps the current event in class attributes, so threads sharing it would mix requests up.
Event invokes are bounded like a function's reserved concurrency: beyond ``max_async`` they wait
in a queue, and an event that waited longer than ``max_event_age_s`` is dropped, as Lambda's
``MaximumEventAgeInSeconds`` does (the job's stale-queue detection then ends it with a frame).
"""

from __future__ import annotations

import importlib
import logging
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext

from calledit.local.template import ACCOUNT, REGION, Function, LocalTemplate

logger = logging.getLogger(__name__)


class EventPool:
    """A fixed number of daemon threads running queued calls in order.

    Daemon threads, unlike ``ThreadPoolExecutor``'s, are not joined at interpreter exit: stopping
    the stack waits a few seconds for running jobs, then leaves them, as a Lambda shutdown would
    (their stale heartbeats let a later resume restart them).
    """

    def __init__(self, workers: int, name: str) -> None:
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._loop, name=f"{name}-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self._queue.put((future, fn))
        return future

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # delivered through the future, like an executor
                future.set_exception(exc)

    def shutdown(self, timeout_s: float) -> None:
        """Stop taking work; wait up to ``timeout_s`` for running calls."""
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class LambdaContext(PowertoolsLambdaContext):
    """Lambda's context object as handlers and Powertools read it (the local runtime's, and tests')."""

    def __init__(self, function: Function) -> None:
        self._function_name = function.name
        self._function_version = "$LATEST"
        self._memory_limit_in_mb = 1024
        self._invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function.name}"
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function.name}"
        self._log_stream_name = "local"
        self._deadline = time.monotonic() + function.timeout_s

    @classmethod
    def named(cls, name: str, timeout_s: int = 30) -> LambdaContext:
        """A context for function ``name`` (tests invoke handlers with it)."""
        return cls(Function(name, f"{name}.handler", {}, timeout_s))

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]  # a static stub upstream
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaRuntime:
    """Imports ``handlers/<module>.py`` once and invokes functions by logical id (or ARN/name)."""

    def __init__(
        self,
        template: LocalTemplate,
        handlers_dir: Path,
        max_workers: int = 64,
        max_async: int = 16,
        max_event_age_s: float = 60.0,
    ) -> None:
        self.template = template
        if str(handlers_dir) not in sys.path:
            sys.path.insert(0, str(handlers_dir))
        self.pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lambda")
        self.async_pool = EventPool(max_async, "lambda-event")
        self.max_event_age_s = max_event_age_s
        self.pending: set[Future[Any]] = set()
        self.dropped = 0
        self._one_at_a_time = {route.function: threading.Lock() for route in template.rest_routes}

    def function(self, name: str) -> Function:
        key = name.rsplit(":function:", 1)[-1].split(":")[0]
        if key not in self.template.functions:
            raise KeyError(name)
        return self.template.functions[key]

    def invoke(self, name: str, event: Any) -> Any:
        """Synchronous (RequestResponse) invoke; exceptions propagate like a function error."""
        function = self.function(name)
        module_name, attr = function.handler.rsplit(".", 1)
        handler = getattr(importlib.import_module(module_name), attr)
        lock = self._one_at_a_time.get(function.name)
        if lock is None:
            return handler(event, LambdaContext(function))
        with lock:
            return handler(event, LambdaContext(function))

    def invoke_async(self, name: str, event: Any) -> Future[Any]:
        """Event invoke: queued on the pool; failures are logged, never raised to the caller."""
        self.function(name)  # unknown functions fail now, like Lambda's 404
        queued_at = time.monotonic()

        def run() -> Any:
            if time.monotonic() - queued_at > self.max_event_age_s:
                self.dropped += 1
                logger.warning("dropped an event for %s older than %.0f s", name, self.max_event_age_s)
                return None
            try:
                return self.invoke(name, event)
            except Exception:
                logger.exception("async invoke of %s failed", name)
                return None

        future = self.async_pool.submit(run)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        return future

    def shutdown(self, wait: bool = True, jobs_timeout_s: float = 5.0) -> None:
        self.async_pool.shutdown(jobs_timeout_s if wait else 0.0)
        self.pool.shutdown(wait=wait, cancel_futures=not wait)
