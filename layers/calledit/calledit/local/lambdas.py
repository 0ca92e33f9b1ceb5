"""Run the template's handlers in this process, as Lambda would: sync invokes and a pool for Event invokes."""

from __future__ import annotations

import importlib
import logging
import sys
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from calledit.local.template import ACCOUNT, REGION, Function, LocalTemplate

logger = logging.getLogger(__name__)


class LambdaContext:
    """The attributes handlers and Powertools read from Lambda's context object."""

    def __init__(self, function: Function) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function.name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaRuntime:
    """Imports ``handlers/<module>.py`` once and invokes functions by logical id (or ARN/name)."""

    def __init__(self, template: LocalTemplate, handlers_dir: Path, max_workers: int = 64) -> None:
        self.template = template
        if str(handlers_dir) not in sys.path:
            sys.path.insert(0, str(handlers_dir))
        self.pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lambda")
        self.pending: set[Future[Any]] = set()

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
        return handler(event, LambdaContext(function))

    def invoke_async(self, name: str, event: Any) -> Future[Any]:
        """Event invoke: queued on the pool; failures are logged, never raised to the caller."""
        self.function(name)  # unknown functions fail now, like Lambda's 404

        def run() -> Any:
            try:
                return self.invoke(name, event)
            except Exception:
                logger.exception("async invoke of %s failed", name)
                return None

        future = self.pool.submit(run)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        return future

    def shutdown(self, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=not wait)
