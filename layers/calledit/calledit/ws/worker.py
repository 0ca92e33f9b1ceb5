"""The stream worker: run one job's agent and stream its events to the client's connection."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from calledit.models.selection import ModelChoice
from calledit.protocol import CompleteEvent, ErrorEvent, Event, StatusEvent, frame
from calledit.runner import stream_call
from calledit.ws.jobs import Job, JobStatus, JobStore
from calledit.ws.sender import CoalescingSender
from calledit.ws.transport import ManagementApiTransport, Transport

logger = logging.getLogger(__name__)

TransportFactory = Callable[[str, str], Transport]


class WorkerRequest(BaseModel):
    """The async-invoke payload the makecall handler sends the worker."""

    model_config = ConfigDict(extra="ignore")

    user_id: str
    request_id: str


class JobRun:
    """One run of a job: the agent, the sender, and a watcher for cancel/resume requests."""

    def __init__(
        self,
        job: Job,
        jobs: JobStore,
        *,
        choice: ModelChoice | None = None,
        transport_factory: TransportFactory = ManagementApiTransport,
        window_s: float = 0.05,
        poll_s: float = 1.0,
        gone_grace_s: float = 3.0,
    ) -> None:
        self.job = job
        self.jobs = jobs
        self.choice = choice
        self.transport_factory = transport_factory
        self.window_s = window_s
        self.poll_s = poll_s
        self.gone_grace_s = gone_grace_s
        self.cancel = threading.Event()
        self.attach_version = job.attach_version
        self.sender: CoalescingSender | None = None

    async def _fresh(self) -> Job | None:
        return await asyncio.to_thread(self.jobs.get, self.job.user_id, self.job.request_id)

    def _reattach_target(self, current: Job | None) -> tuple[Transport, int] | None:
        if current is None or current.attach_version == self.attach_version:
            return None
        self.attach_version = current.attach_version
        logger.info("re-attaching to a resumed connection", extra={"connection_id": current.connection_id})
        return self.transport_factory(
            current.endpoint or self.job.endpoint, current.connection_id
        ), current.resume_after

    async def _on_gone(self) -> tuple[Transport, int] | None:
        """The client vanished: wait briefly for a resume from a new connection, else cancel the run."""
        deadline = time.monotonic() + self.gone_grace_s
        while True:
            target = self._reattach_target(await self._fresh())
            if target is not None:
                return target
            if time.monotonic() >= deadline:
                logger.info("client gone and not resumed: cancelling the agent run")
                self.cancel.set()  # no more model spend for a client that left
                return None
            await asyncio.sleep(min(0.25, self.gone_grace_s))

    async def _watch(self) -> None:
        """Poll the job record for a cancel flag or a resumed connection."""
        while True:
            await asyncio.sleep(self.poll_s)
            current = await self._fresh()
            if current is not None and current.cancel_requested:
                self.cancel.set()
            target = self._reattach_target(current)
            if target is not None and self.sender is not None:
                self.sender.reattach(*target)

    async def run(self) -> JobStatus:
        """Stream the job to completion; returns the status recorded on the job."""
        job = self.job
        await asyncio.to_thread(self.jobs.mark_running, job.user_id, job.request_id)
        transport = self.transport_factory(job.endpoint, job.connection_id)
        final: Event | None = None
        async with CoalescingSender(
            transport, job.request_id, window_s=self.window_s, on_gone=self._on_gone
        ) as sender:
            self.sender = sender
            watcher = asyncio.create_task(self._watch())
            try:
                async for event in stream_call(
                    job.prompt, job.timezone, choice=self.choice, cancel_signal=self.cancel
                ):
                    final = event
                    await sender.send(event)
            finally:
                watcher.cancel()
            status = self._status(final, sender.gone)
            # Written before the last flush so a resume arriving now finds the stored result.
            await asyncio.to_thread(
                self.jobs.finish,
                job.user_id,
                job.request_id,
                status,
                last_seq=sender.last_seq,
                final_frame=self._final_frame(final, sender),
                prediction=final.prediction if isinstance(final, CompleteEvent) else None,
            )
        logger.info(
            "job finished",
            extra={
                "status": status,
                "posts": sender.stats.posts,
                "frames": sender.stats.frames,
                "retries": sender.stats.retries,
            },
        )
        return status

    def _final_frame(self, final: Event | None, sender: CoalescingSender) -> dict[str, Any] | None:
        """The last event as a frame (a gone client never got it: it is numbered after the last one made)."""
        if final is None:
            return None
        if not sender.gone and sender.frames and sender.frames[-1]["type"] == final.type:
            return sender.frames[-1]
        return frame(final, self.job.request_id, sender.last_seq + 1)

    def _status(self, final: Event | None, gone: bool) -> JobStatus:
        if isinstance(final, CompleteEvent):
            return "completed"
        if isinstance(final, ErrorEvent):
            return "failed"
        if isinstance(final, StatusEvent) and final.status == "cancelled":
            return "abandoned" if gone else "cancelled"
        return "abandoned" if gone else "failed"


async def run_worker(
    payload: dict[str, Any], *, jobs: JobStore | None = None, **options: Any
) -> JobStatus | None:
    """Entry point for one async invocation; ignores duplicate deliveries of a job already started."""
    request = WorkerRequest.model_validate(payload)
    jobs = jobs or JobStore()
    job = await asyncio.to_thread(jobs.get, request.user_id, request.request_id)
    if job is None or job.status != "queued":
        logger.warning("job not found or already started", extra={"request_id": request.request_id})
        return None
    return await JobRun(job, jobs, **options).run()
