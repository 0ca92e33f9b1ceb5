"""The caller's track record and the export of all their calls."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from calledit import export
from calledit.api.cursor import decode_cursor, encode_cursor
from calledit.api.identity import caller_id
from calledit.prediction import utc_now
from calledit.scoring import TrackRecord, track_record
from calledit.storage.predictions import PredictionStore, user_pk

router = Router()

EXPORT_PAGE = 500  # calls per export response: far below Lambda's 6 MB response limit
Format = Annotated[Literal["csv", "json"], Query(description="csv (RFC 4180, UTF-8, no BOM) or json")]
ExportCursor = Annotated[str | None, Query(max_length=2048, description="X-Next-Cursor of the previous part")]


@router.get("/stats")
def stats() -> TrackRecord:
    """Resolved count, accuracy, Brier score (vs always 50 %), calibration by 10 % bins with a 95 %
    band, by category and tag, and month by month: computed from every call of the caller."""
    return track_record(PredictionStore().scored_calls(caller_id(router)))


@router.get("/export")
def export_calls(format: Format = "csv", cursor: ExportCursor = None) -> Response[str]:
    """All the caller's calls, newest first, in parts of 500: while the ``X-Next-Cursor`` header is
    set, ask again with it (CSV: the header row comes with the first part only; JSON: each part is an
    array). ``Content-Disposition`` names the file."""
    user = caller_id(router)
    store = PredictionStore()
    start = decode_cursor(cursor, user_pk(user))
    items, last = store.page(user, limit=EXPORT_PAGE, start=start, status=None)
    chunks = export.csv_chunks(items, header=cursor is None) if format == "csv" else export.json_chunks(items)
    headers: dict[str, str] = {
        "Content-Disposition": f'attachment; filename="{export.filename(format, utc_now())}"',
        "Cache-Control": "no-store",
    }
    if last:
        headers["X-Next-Cursor"] = encode_cursor(last) or ""
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json; charset=utf-8"
    return Response(200, media, "".join(chunks), headers=headers)
