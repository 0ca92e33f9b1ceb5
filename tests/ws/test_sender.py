"""The coalescing sender: order, seq, coalescing, splitting, backpressure, Gone, throttling."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from calledit.errors import ErrorCode
from calledit.protocol import CompleteEvent, ErrorEvent, StatusEvent, TextEvent, ToolEvent, frame
from calledit.validation import MAX_FRAME_BYTES
from calledit.ws.sender import CoalescingSender, RetryPolicy, split_text
from calledit.ws.transport import ConnectionGone, Throttled

from .conftest import PREDICTION


class RecordingTransport:
    """Records decoded frames; optionally slow, or failing on chosen post numbers."""

    def __init__(self, delay_s: float = 0.0, connection_id: str = "conn-A") -> None:
        self.connection_id = connection_id
        self.delay_s = delay_s
        self.frames: list[dict[str, Any]] = []
        self.raw_sizes: list[int] = []
        self.fail: dict[int, Exception] = {}  # call number -> exception
        self.calls = 0
        self.threads: set[str] = set()

    def post(self, data: bytes) -> None:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.calls in self.fail:
            raise self.fail[self.calls]
        self.raw_sizes.append(len(data))
        self.frames.append(json.loads(data))


def tool(phase: str) -> ToolEvent:
    return ToolEvent(
        name="current_time",
        tool_use_id="t1",
        phase=phase,
        status="running" if phase == "start" else "success",
        input={"timezone": "UTC"},
    )


def complete() -> CompleteEvent:
    return CompleteEvent(content="{}", prediction=PREDICTION, model="offline-heuristic")


async def test_frames_keep_order_and_seq_and_request_id() -> None:
    transport = RecordingTransport()
    async with CoalescingSender(transport, "req-1") as sender:
        await sender.send(StatusEvent(status="running", message="go"))
        await sender.send(TextEvent(content="Hello "))
        await sender.send(TextEvent(content="world"))
        await sender.send(tool("start"))
        await sender.send(tool("end"))
        await sender.send(TextEvent(content="done"))
        await sender.send(complete())
    types = [f["type"] for f in transport.frames]
    assert types[0] == "status" and types[-1] == "complete"
    assert types.index("tool") > types.index("text")  # text before the tool is flushed first
    assert "".join(f["content"] for f in transport.frames if f["type"] == "text") == "Hello worlddone"
    assert [f["seq"] for f in transport.frames] == list(range(1, len(transport.frames) + 1))
    assert {f["request_id"] for f in transport.frames} == {"req-1"}
    assert transport.threads and "MainThread" not in transport.threads  # posting is off the event loop


async def test_slow_posts_coalesce_text_and_do_not_stall_the_producer() -> None:
    transport = RecordingTransport(delay_s=0.03)
    tokens = [f"t{i} " for i in range(200)]
    async with CoalescingSender(transport, "req-2", window_s=0.05) as sender:
        started = time.monotonic()
        for token in tokens:
            await sender.send(TextEvent(content=token))
            await asyncio.sleep(0)  # a model yielding between tokens
        produced_in = time.monotonic() - started
    text = "".join(f["content"] for f in transport.frames)
    assert text == "".join(tokens)  # nothing lost, nothing reordered
    assert len(transport.frames) < len(tokens) / 5  # merged into few posts
    assert transport.frames[0]["content"] == "t0 "  # the first text frame is not held back for the window
    # Producing 200 tokens took far less than one 30 ms post each (not a wall-clock benchmark: a 10x margin).
    assert produced_in < 0.03 * len(tokens) / 10


async def test_non_text_events_are_not_held_behind_the_text_window() -> None:
    transport = RecordingTransport()
    async with CoalescingSender(transport, "req-3", window_s=10.0) as sender:
        await sender.send(TextEvent(content="first"))
        await asyncio.sleep(0.05)
        await sender.send(TextEvent(content="second"))  # would wait 10 s for the window...
        await sender.send(complete())  # ...but the terminal event flushes it right away
        await asyncio.wait_for(sender.close(), timeout=2)
    assert [f.get("content") for f in transport.frames[:2]] == ["first", "second"]
    assert transport.frames[-1]["type"] == "complete"


def test_split_text_respects_the_frame_budget_for_any_characters() -> None:
    text = ('é€😀"\\\n' * 20000) + "end"
    pieces = split_text(text, budget=1000)
    assert "".join(pieces) == text
    for piece in pieces:
        assert len(json.dumps(piece, ensure_ascii=False).encode()) <= 1000 + 2  # as encode() sends it


async def test_a_held_frame_waits_for_release_and_keeps_its_place() -> None:
    transport = RecordingTransport()
    async with CoalescingSender(transport, "r1", window_s=0.01) as sender:
        await sender.send(tool("start"))
        await sender.send(TextEvent(content="done"))
        sender.hold(complete())
        assert [f["type"] for f in sender.frames] == ["tool", "text", "complete"]  # recorded at once
        await asyncio.sleep(0.05)
        assert [f["type"] for f in transport.frames] == ["tool", "text"]
        sender.release()
    assert [f["type"] for f in transport.frames] == ["tool", "text", "complete"]
    assert [f["seq"] for f in transport.frames] == [1, 2, 3]


async def test_a_held_frame_never_released_is_never_posted() -> None:
    transport = RecordingTransport()
    async with CoalescingSender(transport, "r1") as sender:
        await sender.send(tool("start"))
        sender.hold(complete())
    assert [f["type"] for f in transport.frames] == ["tool"]
    assert sender.last_seq == 2


async def test_huge_text_is_split_under_32kb_frames() -> None:
    transport = RecordingTransport()
    big = "x" * (100 * 1024)
    async with CoalescingSender(transport, "req-4") as sender:
        await sender.send(TextEvent(content=big))
    assert "".join(f["content"] for f in transport.frames) == big
    assert len(transport.frames) >= 4
    assert max(transport.raw_sizes) <= MAX_FRAME_BYTES


async def test_gone_stops_posting_but_keeps_numbering_and_recording() -> None:
    transport = RecordingTransport()
    transport.fail[2] = ConnectionGone("conn-A")
    async with CoalescingSender(transport, "req-5") as sender:
        await sender.send(StatusEvent(status="running", message="go"))
        await asyncio.sleep(0.01)
        await sender.send(tool("start"))
        await asyncio.sleep(0.01)
        await sender.send(tool("end"))
        await sender.send(TextEvent(content="still thinking"))
        await sender.send(complete())
    assert sender.gone
    assert transport.calls == 2  # nothing posted after the 410
    assert len(transport.frames) == 1
    assert [f["seq"] for f in sender.frames] == [1, 2, 3, 4, 5]  # the log has all of it
    assert sender.frames[-1]["type"] == "complete"


async def test_gone_then_reattach_replays_frames_after_the_clients_last_seq() -> None:
    first = RecordingTransport(connection_id="A")
    second = RecordingTransport(connection_id="B")
    first.fail[3] = ConnectionGone("A")
    async with CoalescingSender(first, "req-6") as sender:
        for i in range(5):
            await sender.send(StatusEvent(status="running", message=f"m{i}"))
            await asyncio.sleep(0.005)
        sender.reattach(second, 1)  # the client saw seq 1 only
    assert [f["seq"] for f in first.frames] == [1, 2]
    assert [f["seq"] for f in second.frames] == [2, 3, 4, 5]
    assert not sender.gone


async def test_history_of_earlier_runs_is_replayable_and_numbering_continues() -> None:
    old = [frame(StatusEvent(status="running", message=f"old {i}"), "req-h", i) for i in (1, 2, 3)]
    transport = RecordingTransport()
    async with CoalescingSender(transport, "req-h", start_seq=6, history=old) as sender:
        await sender.send(StatusEvent(status="restarted", message="again"))
        await sender.send(complete())
        await asyncio.sleep(0.01)
        later = RecordingTransport(connection_id="later")
        sender.reattach(later, 2)
    assert [f["seq"] for f in transport.frames] == [6, 7]  # history is not posted again
    assert [f["seq"] for f in later.frames] == [3, 6, 7]


async def test_throttling_is_retried_with_backoff() -> None:
    transport = RecordingTransport()
    transport.fail[1] = Throttled("LimitExceededException")
    transport.fail[2] = Throttled("LimitExceededException")
    async with CoalescingSender(transport, "req-7", retry=RetryPolicy(attempts=5, base_s=0.001)) as sender:
        await sender.send(ErrorEvent(code=ErrorCode.MODEL_ERROR, message="x"))
    assert transport.calls == 3
    assert sender.stats.retries == 2
    assert [f["type"] for f in transport.frames] == ["error"]


async def test_throttling_gives_up_after_the_attempt_budget() -> None:
    transport = RecordingTransport()
    for n in range(1, 10):
        transport.fail[n] = Throttled("LimitExceededException")
    async with CoalescingSender(transport, "req-8", retry=RetryPolicy(attempts=3, base_s=0.001)) as sender:
        await sender.send(complete())
    assert transport.calls == 3 and sender.gone and transport.frames == []


async def test_backpressure_bounds_the_queue() -> None:
    transport = RecordingTransport(delay_s=0.01)
    async with CoalescingSender(transport, "req-9", max_pending=2) as sender:
        for i in range(8):
            await sender.send(StatusEvent(status="running", message=str(i)))
            assert len(sender.frames) - sender._posted <= 3
    assert [f["message"] for f in transport.frames] == [str(i) for i in range(8)]


@pytest.mark.parametrize("start_seq", [1, 7])
async def test_last_seq_tracks_frames(start_seq: int) -> None:
    transport = RecordingTransport()
    async with CoalescingSender(transport, "r", start_seq=start_seq) as sender:
        await sender.send(StatusEvent(status="running", message="a"))
        await sender.send(complete())
    assert sender.last_seq == start_seq + 1
