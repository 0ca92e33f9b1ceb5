"""``LocalStack``: everything on loopback in one process (used by ``calledit dev``, tests and benchmarks).

The gateway emulator, the token issuer and DynamoDB Local, plus the SQS and EventBridge Scheduler
wire APIs the verification handlers call (under a per-run secret path, like Lambda invokes): a
prediction's schedule fires into the verify queue, whose consumer runs the verifier function, and the
template's ScheduleV2 events (the sweep) run on their rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from calledit.local.dynamodb import DynamoDBLocal, create_tables, dynamodb_client
from calledit.local.gateway import Gateway, RedactingAccessLogger
from calledit.local.lambdas import LambdaRuntime
from calledit.local.outbox import outbox_routes
from calledit.local.scheduler import Scheduler, SchedulerError
from calledit.local.sqs import SQS, declared_queues, queue_name_from_arn
from calledit.local.template import LocalTemplate, read_template

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[4]
CLIENT_ID = "local-client"


class LocalStack:
    """Gateway emulator + issuer + DynamoDB Local. ``async with LocalStack(...) as stack: stack.base_url``."""

    def __init__(
        self,
        *,
        port: int = 3001,
        data_dir: Path = REPO / ".local",
        dynamodb_port: int = 8010,
        dynamodb_endpoint: str | None = None,
        template_path: Path = REPO / "template.yaml",
        handlers_dir: Path = REPO / "handlers",
        static_dir: Path | None = REPO / "frontend" / "dist",
        extra_origins: tuple[str, ...] = ("http://localhost:5173", "http://127.0.0.1:5173"),
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.template_path = template_path
        self.handlers_dir = handlers_dir
        self.static_dir = static_dir
        self.extra_origins = extra_origins
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))  # bound now so every URL below names the real port
        self.port = int(self._sock.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.api_url = f"{self.base_url}/api"
        self.issuer_url = f"{self.base_url}/cognito"
        self.dynamodb = (
            None
            if dynamodb_endpoint
            else DynamoDBLocal(self.data_dir / "node", self.data_dir / "dynamodb", dynamodb_port)
        )
        self.dynamodb_endpoint = dynamodb_endpoint or (self.dynamodb.endpoint if self.dynamodb else "")
        self.runtime: LambdaRuntime | None = None
        self.gateway: Gateway | None = None
        self._runner: web.AppRunner | None = None
        self._saved_env: dict[str, str | None] = {}
        self.invoke_secret = secrets.token_urlsafe(24)
        self.aws_url = f"{self.base_url}/aws/{self.invoke_secret}"  # the SQS and Scheduler APIs
        self.sqs: SQS | None = None
        self.scheduler: Scheduler | None = None

    @property
    def origins(self) -> tuple[str, ...]:
        return (self.base_url, *self.extra_origins)

    def environment(self, template: LocalTemplate, worker: str) -> dict[str, str]:
        """What the handlers see: local tables, issuer, management API, Lambda, SQS and Scheduler."""
        table_names = template.table_names
        env = {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_endpoint,
            "AWS_ENDPOINT_URL_LAMBDA": f"{self.base_url}/lambda/{self.invoke_secret}",
            "AWS_ENDPOINT_URL_SQS": f"{self.aws_url}/sqs",
            "AWS_ENDPOINT_URL_SCHEDULER": f"{self.aws_url}/scheduler",
            "PREDICTIONS_TABLE": table_names["PredictionsTable"],
            "JOBS_TABLE": table_names["JobsTable"],
            "CONNECTIONS_TABLE": table_names["ConnectionsTable"],
            "STREAM_WORKER_FUNCTION": worker,
            "ALLOWED_ORIGINS": ",".join(self.origins),
            "CALLEDIT_JWKS_URL": f"{self.issuer_url}/.well-known/jwks.json",
            "CALLEDIT_TOKEN_ISSUER": self.issuer_url,
            "CALLEDIT_TOKEN_AUDIENCE": CLIENT_ID,
            "CALLEDIT_MANAGEMENT_ENDPOINT": self.ws_url.replace("ws://", "http://"),
            "POWERTOOLS_SERVICE_NAME": "calledit-local",
            "POWERTOOLS_DEV": "false",
            "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines are for CloudWatch, not a terminal
        }
        # One process hosts every function: the verification settings some of them get are shared.
        for fn in template.functions.values():
            for key in (
                "VERIFY_QUEUE_URL",
                "VERIFY_QUEUE_ARN",
                "VERIFY_DEAD_LETTERS_ARN",
                "CLARIFY_TIMEOUT_QUEUE_URL",
                "SCHEDULER_ROLE_ARN",
                "SCHEDULE_GROUP",
            ):
                if key in fn.environment:
                    env[key] = fn.environment[key]
        env["CALLEDIT_EMAIL_OUTBOX"] = str(self.data_dir / "outbox")  # reminder emails, listed at /outbox
        env["CALLEDIT_MODEL"] = os.environ.get("CALLEDIT_MODEL") or "offline"
        env["CALLEDIT_OFFLINE_DELAY_MS"] = os.environ.get("CALLEDIT_OFFLINE_DELAY_MS") or "15"
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            env[key] = ""
        return env

    def config(self) -> dict[str, Any]:
        """The React app's runtime configuration (``/config.json``)."""
        return {
            "websocketUrl": self.ws_url,
            "apiUrl": self.api_url,
            "cognitoEndpoint": self.issuer_url,
            "cognitoClientId": CLIENT_ID,
            "region": "us-east-1",
            "mode": "local",
        }

    async def __aenter__(self) -> LocalStack:
        try:
            return await self._start()
        except BaseException:
            await self.__aexit__(None, None, None)  # never leave Java or the socket behind
            raise

    async def _start(self) -> LocalStack:
        from calledit.local.issuer import create_issuer_app

        template = read_template(self.template_path, sqs_endpoint=f"{self.aws_url}/sqs")
        if self.dynamodb is not None:
            await asyncio.to_thread(self.dynamodb.start)
        worker = self._worker_name(template)
        for key, value in self.environment(template, worker).items():
            self._saved_env.setdefault(key, os.environ.get(key))
            if value:
                os.environ[key] = value
            else:
                os.environ.pop(key, None)
        self._reset_caches()
        client = dynamodb_client(self.dynamodb_endpoint)
        created = await asyncio.to_thread(create_tables, client, template.tables)
        predictions_table = template.table_names["PredictionsTable"]
        if predictions_table not in created:  # a data directory from an older version: add index keys
            from calledit.storage.predictions import PredictionStore

            upgraded = await asyncio.to_thread(PredictionStore(predictions_table).upgrade_items)
            if upgraded:
                logger.info("gave %d older calls the keys of today's indexes", upgraded)

        from calledit.auth.tokens import verifier_from_settings

        self.runtime = LambdaRuntime(template, self.handlers_dir)
        self.gateway = Gateway(
            template,
            self.runtime,
            host=f"127.0.0.1:{self.port}",
            allowed_origins=self.origins,
            verify_token=lambda token: verifier_from_settings().verify(token),
            static_dir=self.static_dir,
            config=self.config(),
            invoke_secret=self.invoke_secret,
        )
        app = web.Application(client_max_size=1024**2)
        app.add_subapp(
            "/cognito", create_issuer_app(self.data_dir / "cognito", self.issuer_url, CLIENT_ID, self.origins)
        )
        outbox_routes(app, self.data_dir / "outbox")  # before the gateway's catch-all static route
        self.gateway.routes(app)
        await self._start_queues_and_schedules(template, app)
        self._runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=2, access_log_class=RedactingAccessLogger
        )
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()
        return self

    async def _start_queues_and_schedules(self, template: LocalTemplate, app: web.Application) -> None:
        """The template's queues with their triggers, its schedule groups and recurring schedules."""
        runtime = self.runtime
        assert runtime is not None
        queues = declared_queues(template)
        self.sqs = SQS(self.data_dir, queues, endpoint=f"{self.aws_url}/sqs")

        def invoker(function: str) -> Callable[[dict[str, Any]], Any]:
            return lambda event: runtime.invoke(function, event)

        for trigger in template.queue_triggers:
            self.sqs.add_consumer(
                template.queues[trigger.queue].name,
                invoker(trigger.function),
                batch_size=trigger.batch_size,
                max_concurrency=trigger.max_concurrency,
                report_batch_item_failures=trigger.report_batch_item_failures,
            )
        sqs = self.sqs

        def deliver(target: dict[str, Any], payload: str) -> None:
            # Scheduler invokes Lambda asynchronously: a function error is not a delivery failure.
            if queue_name_from_arn(str(target.get("Arn", ""))):
                sqs.deliver(target, payload)
            else:
                runtime.invoke_async(str(target["Arn"]), json.loads(payload or "{}"))

        self.scheduler = Scheduler(self.data_dir / "scheduler", deliver)
        self.sqs.routes(app, f"/aws/{self.invoke_secret}/sqs")
        self.scheduler.routes(app, f"/aws/{self.invoke_secret}/scheduler")
        await self.sqs.start()
        await self.scheduler.start()
        for group in template.schedule_groups:
            with contextlib.suppress(SchedulerError):  # kept from an earlier run
                self.scheduler.create_group(group, {})
        for recurring in template.recurring:
            body = {
                "ScheduleExpression": recurring.expression,
                "ScheduleExpressionTimezone": recurring.timezone,
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": f"arn:aws:lambda:us-east-1:000000000000:function:{recurring.function}",
                    "RoleArn": "arn:aws:iam::000000000000:role/local-scheduler",
                    "Input": "{}",
                },
            }
            try:
                self.scheduler.create_schedule(recurring.name, body)  # the first run is right away
            except SchedulerError:  # kept from an earlier run: its rhythm goes on unless it changed
                if self.scheduler.get_schedule(recurring.name)["ScheduleExpression"] != recurring.expression:
                    self.scheduler.update_schedule(recurring.name, body)

    def _worker_name(self, template: Any) -> str:
        for name, fn in template.functions.items():
            if fn.handler.startswith("stream_worker."):
                return str(name)
        raise RuntimeError("template.yaml has no stream worker function")

    @staticmethod
    def _reset_caches() -> None:
        from calledit.auth.tokens import verifier_from_settings
        from calledit.aws import reset_clients
        from calledit.settings import get_settings

        get_settings.cache_clear()
        verifier_from_settings.cache_clear()
        reset_clients()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.gateway is not None:
            for conn in list(self.gateway.connections.values()):
                await conn.ws.close(code=1001, message=b"Server shutting down")
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.sqs is not None:
            await self.sqs.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.runtime is not None:
            await asyncio.to_thread(self.runtime.shutdown, True)
        if self.dynamodb is not None:
            await asyncio.to_thread(self.dynamodb.stop)
        self._sock.close()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._reset_caches()
