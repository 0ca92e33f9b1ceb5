"""REST proxy events for tests: complete API Gateway shapes, routes and parameters from the template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from calledit.local.events import cognito_claims
from calledit.local.events import rest_event as build
from calledit.local.template import read_template

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://localhost:5173"


def rest_event(
    method: str,
    path: str,
    *,
    user: str | None = "alice",
    body: Any = None,
    query: dict[str, str] | None = None,
    origin: str = ORIGIN,
    raw_body: str | None = None,
    source_ip: str = "192.0.2.10",
) -> dict[str, Any]:
    """A complete API Gateway REST proxy event, its resource and path parameters from template.yaml."""
    resource, params = path, None
    for route in read_template(ROOT / "template.yaml").rest_routes:
        found = route.match(method, path)
        if found is not None:
            resource, params = route.path, found or None
            break
    claims = (
        cognito_claims({"sub": user, "email": f"{user}@example.com", "token_use": "id"}) if user else None
    )
    return build(
        method=method,
        resource=resource,
        path=path,
        path_parameters=params,
        query=query,
        headers={"Origin": origin, "Content-Type": "application/json"},
        body=raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        claims=claims,
        source_ip=source_ip,
    )
