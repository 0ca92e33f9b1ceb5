"""The stream worker: claim a queued job, run its agent, stream the events, end the job exactly once.

- Claiming moves the job queued -> running under a fresh lease (``run_id``); a duplicate delivery
  finds it no longer queued and does nothing.
- Every ``flush_s`` (when frames were made) and at least every ``HEARTBEAT_S`` the frame log and a
  heartbeat are saved in one write; losing the lease (the job was restarted or finished by someone
  else after this worker looked dead) stops the run without touching the job again.
- Every ``poll_s`` the job is read for a cancel request or a resumed connection.
- The run has a deadline below the Lambda timeout; the runner ends it with ``timed_out`` when hit.
- The terminal frame is written to the job (with the whole log) before it is posted, so a resume at
  any moment finds it; a resume that arrived just before the finish is honoured here.
- An analysis that asks the user pauses: the job goes ``awaiting_input`` with the agent's snapshot
  (the Lambda ends; no one waits), and a delayed message on the clarify-timeout queue comes back
  after ``answer_timeout_s()`` (10 minutes) to go on with stated assumptions if nobody answered.
  The answer (or the timeout) queues the job again and a worker resumes the agent from the snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Json

from calledit.agent_run import RunReport
from calledit.analysis import stream_analysis
from calledit.budget import RunBudget
from calledit.clarification import Resumption, answer_timeout_s, skip_response
from calledit.lifecycle import HEARTBEAT_S, JobStatus, status_for
from calledit.metrics import record_run
from calledit.protocol import (
    ClarifyEvent,
    CompleteEvent,
    Event,
    StatusEvent,
    TextEvent,
    VerdictEvent,
    is_terminal,
)
from calledit.providers.selection import ModelChoice
from calledit.settings import get_settings
from calledit.storage.jobs import Job, JobStore
from calledit.storage.predictions import PredictionStore
from calledit.usage import Usage
from calledit.verification.service import verify_saved
from calledit.ws.sender import CoalescingSender
from calledit.ws.transport import ManagementApiTransport, Transport

logger = logging.getLogger(__name__)

TransportFactory = Callable[[str, str], Transport]
# Time kept back from the Lambda deadline for the final writes and posts.
FINISH_MARGIN_S = 20.0


class WorkerRequest(BaseModel):
    """The async-invoke payload the action handler sends the worker."""

    model_config = ConfigDict(extra="ignore")

    user_id: str
    request_id: str


def run_budget(remaining_ms: int | None = None) -> RunBudget:
    """The configured budget (CALLEDIT_RUN_TIMEOUT_S, ...), its deadline always below the Lambda's."""
    budget = RunBudget.from_env()
    return budget if remaining_ms is None else budget.within(remaining_ms / 1000 - FINISH_MARGIN_S)


class JobWorker:
    """Executes one claimed job; dependencies are injectable for tests."""

    def __init__(
        self,
        job: Job,
        jobs: JobStore,
        *,
        choice: ModelChoice | None = None,
        transport_factory: TransportFactory = ManagementApiTransport,
        window_s: float = 0.05,
        poll_s: float = 1.0,
        flush_s: float = 3.0,
        budget: RunBudget | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.job = job
        self.jobs = jobs
        self.choice = choice
        self.transport_factory = transport_factory
        self.window_s = window_s
        self.poll_s = poll_s
        self.flush_s = flush_s
        self.budget = (budget or RunBudget.from_env()).within(timeout_s)
        # A run resumed after a question goes on counting what the first part spent.
        self.report = RunReport(usage=Usage.model_validate(job.usage) if job.usage else Usage())
        self.attach_version = job.attach_version
        self.lease_lost = False
        self.writes = 0
        self.started = time.monotonic()

    async def run(self) -> JobStatus | None:
        """Stream the job to its end; the status recorded, or None if this worker lost its lease."""
        job = self.job
        sender = CoalescingSender(
            self.transport_factory(job.endpoint, job.connection_id),
            job.request_id,
            window_s=self.window_s,
            start_seq=job.next_seq,
            history=job.frames,
        )
        cancel = threading.Event()
        final: Event | None = None
        async with sender:
            keeper = asyncio.create_task(self._keep(sender, cancel))
            try:
                if job.restarts:
                    await sender.send(
                        StatusEvent(status="restarted", message="The run was interrupted; starting over.")
                    )
                async for event in self._events(cancel):
                    final = event
                    if not isinstance(event, TextEvent) and (
                        is_terminal(event) or isinstance(event, ClarifyEvent)
                    ):
                        sender.hold(event)  # posted once the job records it
                    else:
                        await sender.send(event)
            finally:
                keeper.cancel()
                await asyncio.gather(keeper, return_exceptions=True)
            if isinstance(final, ClarifyEvent) and self.report.pause is not None and not self.lease_lost:
                return await self._pause(sender)
            if self.lease_lost or final is None or not is_terminal(final):
                logger.warning("run ended without finishing the job", extra={"lease_lost": self.lease_lost})
                return None
            sender.flush_text()
            terminal = sender.frames[-1]
            status = status_for(terminal)
            done = await asyncio.to_thread(
                self.jobs.finish,
                job,
                status,
                sender.frames,
                run_id=job.run_id,
                result=_result_of(final),
                usage=self.report.usage.model_dump(),
            )
            self.writes += 1
            if done is None:
                logger.warning("job finished by someone else; not posting the terminal frame")
                return None  # the held terminal frame is never posted: the job does not record it
            self._maybe_reattach(done, sender)
            sender.release()
        first_post = sender.stats.post_started_at[0] if sender.stats.post_started_at else None
        record_run(
            kind=job.kind,
            outcome=status.value,
            usage=self.report.usage,
            first_frame_ms=None if first_post is None else (first_post - self.started) * 1000,
            posts=sender.stats.posts,
            job_writes=self.writes,
        )
        logger.info(
            "job finished",
            extra={
                "status": status.value,
                "posts": sender.stats.posts,
                "frames": sender.stats.frames,
                "retries": sender.stats.retries,
                "job_writes": self.writes,
                "usage": self.report.usage.model_dump(),
            },
        )
        return status

    async def _pause(self, sender: CoalescingSender) -> JobStatus | None:
        """Save the paused run for the answer, and arrange for the timeout; the Lambda then ends."""
        sender.flush_text()
        pause = self.report.pause
        assert pause is not None
        paused = await asyncio.to_thread(
            self.jobs.pause, self.job, list(sender.frames), pause, usage=self.report.usage.model_dump()
        )
        self.writes += 1
        if paused is None:
            logger.warning("could not pause the job: someone else moved it")
            return None
        sender.release()
        await asyncio.to_thread(schedule_timeout, paused.user_id, paused.request_id, pause.round)
        logger.info("waiting for the user's answer", extra={"round": pause.round, "job_writes": self.writes})
        return JobStatus.AWAITING_INPUT

    def _events(self, cancel: threading.Event) -> AsyncIterator[Event]:
        """The run's events: an analysis of the prompt, or a verification of a saved prediction."""
        job = self.job
        if job.kind == "verification":
            return verify_saved(
                job.user_id,
                job.prediction_id,
                store=PredictionStore(),
                choice=self.choice,
                cancel_signal=cancel,
                budget=self.budget,
                report=self.report,
            )
        snapshot = job.snapshot()
        resume = (
            Resumption(snapshot=snapshot, interrupt_id=job.interrupt_id, response=job.clarify_response)
            if snapshot is not None and job.clarify_response is not None
            else None
        )
        return stream_analysis(
            job.prompt,
            job.timezone,
            choice=self.choice,
            cancel_signal=cancel,
            budget=self.budget,
            report=self.report,
            clarify=job.clarify,
            resume=resume,
        )

    def _maybe_reattach(self, current: Job, sender: CoalescingSender) -> None:
        if current.attach_version == self.attach_version:
            return
        self.attach_version = current.attach_version
        logger.info("re-attaching to a resumed connection", extra={"connection_id": current.connection_id})
        sender.reattach(
            self.transport_factory(current.endpoint or self.job.endpoint, current.connection_id),
            current.resume_after,
        )

    async def _keep(self, sender: CoalescingSender, cancel: threading.Event) -> None:
        """Poll for cancel/resume; save the log and a heartbeat when due."""
        job = self.job
        saved_seq = job.last_seq
        saved_at = time.monotonic()
        while True:
            await asyncio.sleep(self.poll_s)
            current = await asyncio.to_thread(self.jobs.get, job.user_id, job.request_id)
            if current is None or current.run_id != job.run_id or current.status is not JobStatus.RUNNING:
                self._lose_lease(cancel)
                return
            if current.cancel_requested:
                cancel.set()
            self._maybe_reattach(current, sender)
            now = time.monotonic()
            changed = sender.last_seq != saved_seq
            if (changed and now - saved_at >= self.flush_s) or now - saved_at >= HEARTBEAT_S:
                saved = await asyncio.to_thread(
                    self.jobs.save_progress,
                    job.user_id,
                    job.request_id,
                    job.run_id,
                    list(sender.frames),
                    sender.last_seq,
                )
                self.writes += 1
                if saved is None:
                    self._lose_lease(cancel)
                    return
                saved_seq, saved_at = sender.last_seq, now

    def _lose_lease(self, cancel: threading.Event) -> None:
        logger.warning("lease lost: another actor restarted or finished this job; stopping")
        self.lease_lost = True
        cancel.set()


def _result_of(final: Event) -> dict[str, Any] | None:
    """What the job keeps as its result: the prediction, or the verdict."""
    if isinstance(final, CompleteEvent):
        return final.prediction.model_dump(mode="json")
    if isinstance(final, VerdictEvent):
        return final.model_dump(mode="json")
    return None


async def handle_job(
    payload: dict[str, Any], *, jobs: JobStore | None = None, remaining_ms: int | None = None, **options: Any
) -> JobStatus | None:
    """Entry point for one async invocation; ignores duplicate deliveries of a job already started."""
    request = WorkerRequest.model_validate(payload)
    jobs = jobs or JobStore()
    job = await asyncio.to_thread(jobs.claim, request.user_id, request.request_id, uuid.uuid4().hex)
    if job is None:
        logger.warning(
            "job not queued (duplicate delivery or finished)", extra={"request_id": request.request_id}
        )
        return None
    options.setdefault("budget", run_budget(remaining_ms))
    return await JobWorker(job, jobs, **options).run()


# ---------------------------------------------------------------- unanswered questions


class ClarifyTimeout(BaseModel):
    """A delayed message: this round of questions was asked ``answer_timeout_s()`` ago."""

    model_config = ConfigDict(extra="ignore")

    user_id: str
    request_id: str
    round: int


class ClarifyTimeoutRecord(SqsRecordModel):
    body: Json[ClarifyTimeout]


def schedule_timeout(user_id: str, request_id: str, round_: int) -> None:
    """Send the delayed timeout message (SQS delays up to 15 minutes; the wait is 10)."""
    queue_url = get_settings().clarify_timeout_queue_url
    if not queue_url:
        logger.warning("no clarify-timeout queue configured: an unanswered question waits until resumed")
        return
    from calledit.aws import sqs_client

    body = ClarifyTimeout(user_id=user_id, request_id=request_id, round=round_)
    sqs_client().send_message(
        QueueUrl=queue_url, MessageBody=body.model_dump_json(), DelaySeconds=answer_timeout_s()
    )


async def handle_timeout(
    message: ClarifyTimeout, *, jobs: JobStore | None = None, **options: Any
) -> JobStatus | None:
    """Go on with stated assumptions if that round is still unanswered; else nothing to do."""
    jobs = jobs or JobStore()
    queued = await asyncio.to_thread(
        jobs.answer, message.user_id, message.request_id, message.round, skip_response("timeout")
    )
    if queued is None:
        return None  # answered, skipped, cancelled or gone meanwhile
    logger.info("no answer in time: going on with stated assumptions", extra={"round": message.round})
    payload = {"user_id": message.user_id, "request_id": message.request_id}
    return await handle_job(payload, jobs=jobs, **options)


_timeouts = BatchProcessor(event_type=EventType.SQS, model=ClarifyTimeoutRecord)


def handle_timeout_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The clarify-timeout queue's consumer (this same worker function, SQS-triggered)."""
    remaining = context.get_remaining_time_in_millis()

    def one(record: ClarifyTimeoutRecord) -> None:
        asyncio.run(handle_timeout(record.body, remaining_ms=remaining))

    response = process_partial_response(event=event, record_handler=one, processor=_timeouts, context=context)
    return dict(response)
