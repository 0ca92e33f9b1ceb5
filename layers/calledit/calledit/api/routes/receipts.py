"""Receipts: the owner shares or revokes a call's public link; anyone with the link reads it.

``GET /receipts/{token}`` (JSON) and ``GET /r/{token}`` (an HTML page with Open Graph tags, so a
shared link previews; the link people share is ``{apiUrl}/r/<token>``) need no sign-in, are
cacheable for a minute, and are rate limited per client address. An unknown and a revoked token get
the same 404.
"""

from __future__ import annotations

import html
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from calledit.api.identity import caller_id
from calledit.api.ratelimit import RateLimiter
from calledit.api.routes.predictions import NO_SUCH_PREDICTION, PredictionId
from calledit.prediction import format_utc
from calledit.settings import get_settings
from calledit.storage.receipts import PublicReceipt, ReceiptStore

router = Router()

NO_SUCH_RECEIPT = "No such receipt."
Token = Annotated[str, Path(max_length=64)]
CACHE = "public, max-age=60"
STYLE = (
    "body{margin:0;font-family:system-ui,sans-serif;background:#f4f6fa;color:#1d2433}"
    ".receipt{max-width:40rem;margin:2rem auto;padding:1.5rem;background:#fff;border:1px solid #dde3f0;"
    "border-radius:12px}.brand{color:#56607a;font-size:.9rem}h1{font-size:1.4rem;line-height:1.3}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}dt{font-weight:600}dd{margin:0}"
    "a{color:#2f4fa3}"
)  # a revoked link stops working within a minute, even through CloudFront
limiter = RateLimiter(per_minute=60)


class Share(BaseModel):
    """A call's public link."""

    token: str
    path: str


def _app_origin() -> str:
    origins = get_settings().allowed_origins
    return origins[0] if origins else ""


@router.post("/predictions/<prediction_id>/receipt")
def share(prediction_id: PredictionId) -> Response[str]:
    """Share the call: its receipt link (the same one until revoked)."""
    token = ReceiptStore().share(caller_id(router), prediction_id)
    if token is None:
        raise NotFoundError(NO_SUCH_PREDICTION)
    body = Share(token=token, path=f"/r/{token}")
    return Response(201, "application/json", body.model_dump_json())


@router.delete("/predictions/<prediction_id>/receipt")
def revoke(prediction_id: PredictionId) -> Response[str]:
    """Stop sharing: the link reads as unknown from now on."""
    if not ReceiptStore().revoke(caller_id(router), prediction_id):
        raise NotFoundError(NO_SUCH_PREDICTION)
    return Response(204, "application/json", "")


def _read(token: str) -> PublicReceipt:
    limiter.check(router)
    receipt = ReceiptStore().read(token)
    if receipt is None:
        raise NotFoundError(NO_SUCH_RECEIPT)
    return receipt


@router.get("/receipts/<token>")
def read_receipt(token: Token) -> Response[str]:
    """A shared call's public view (no sign-in)."""
    return Response(200, "application/json", _read(token).model_dump_json(), headers={"Cache-Control": CACHE})


@router.get("/r/<token>")
def receipt_page(token: Token) -> Response[str]:
    """The receipt as a page: readable by people, previewable by link unfurlers (Open Graph)."""
    try:
        receipt = _read(token)
    except NotFoundError:
        page = _page("Receipt not found", "This link is unknown or no longer shared.", None)
        return Response(404, "text/html; charset=utf-8", page, headers={"Cache-Control": CACHE})
    page = _page_for(receipt)
    return Response(200, "text/html; charset=utf-8", page, headers={"Cache-Control": CACHE})


def _verdict(receipt: PublicReceipt) -> str:
    if receipt.outcome is not None:
        words = {"true": "It came true.", "false": "It did not happen.", "inconclusive": "Inconclusive."}
        return f"Resolved: {words[receipt.outcome]}"
    if receipt.verdict_outcome is not None:
        return f"A verdict ({receipt.verdict_outcome}) waits for the author's confirmation."
    return "Not resolved yet."


def _page_for(receipt: PublicReceipt) -> str:
    made = format_utc(receipt.made_at)
    due = format_utc(receipt.verification_date)
    confidence = f" with {round(receipt.confidence * 100)} % confidence" if receipt.confidence else ""
    summary = f"Called on {made[:10]}{confidence}; to be checked on {due[:10]}. {_verdict(receipt)}"
    rows = [
        ("Called", made),
        ("Confidence", f"{round(receipt.confidence * 100)} %" if receipt.confidence else "not stated"),
        ("To be checked", f"{due} ({receipt.timezone})"),
        ("Status", _verdict(receipt)),
    ]
    return _page(f"“{receipt.prediction_statement}”", summary, rows)


def _page(title: str, description: str, rows: list[tuple[str, str]] | None) -> str:
    esc = html.escape
    origin = _app_origin()
    details = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows or [])
    meta = {
        "og:title": title[:200],
        "og:description": description[:300],
        "og:type": "article",
        "og:site_name": "CalledIt",
        "twitter:card": "summary",
    }
    tags = "".join(f'<meta property="{esc(name)}" content="{esc(value)}">' for name, value in meta.items())
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title[:200])} · CalledIt receipt</title>"
        f'<meta name="description" content="{esc(description[:300])}">{tags}'
        '<meta name="robots" content="noindex">'
        f"<style>{STYLE}</style></head>"
        '<body><main class="receipt"><p class="brand">CalledIt receipt</p>'
        f"<h1>{esc(title)}</h1><p>{esc(description)}</p>"
        f"{f'<dl>{details}</dl>' if details else ''}"
        f'<p><a href="{esc(origin or "/")}">Make your own calls on CalledIt</a></p>'
        "</main></body></html>\n"
    )
