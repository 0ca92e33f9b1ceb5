"""The local stack's outbox page (``/outbox``): reminder emails the handlers wrote, newest first."""

from __future__ import annotations

import asyncio
import html
from email import policy
from email.parser import BytesParser
from pathlib import Path

from aiohttp import web

MAX_SHOWN = 200
EMPTY = "<li>No emails yet: they appear when a verdict is ready or a call is due.</li>"


def render(directory: Path) -> str:
    """The outbox as an HTML page (every value escaped)."""
    files = sorted(directory.glob("*.eml"), reverse=True)[:MAX_SHOWN] if directory.is_dir() else []
    rows = []
    for path in files:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        subject, to, date, content = (
            html.escape(str(v)) for v in (message["Subject"], message["To"], message["Date"], text)
        )
        rows.append(f"<li><p><strong>{subject}</strong></p><p>To {to} · {date}</p><pre>{content}</pre></li>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Outbox · CalledIt (local)</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        "<body><main><h1>Outbox (local stack)</h1>"
        f"<p>Reminder emails written to {html.escape(str(directory))} instead of being sent.</p>"
        f"<ol>{''.join(rows) or EMPTY}</ol>"
        '<p><a href="/">Back to the app</a></p></main></body></html>'
    )


def outbox_routes(app: web.Application, directory: Path) -> None:
    async def page(_: web.Request) -> web.Response:
        return web.Response(text=await asyncio.to_thread(render, directory), content_type="text/html")

    app.router.add_get("/outbox", page)
