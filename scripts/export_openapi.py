"""Write docs/openapi.json from the REST app's routes; ``--check`` fails if the file is stale."""

from __future__ import annotations

import json
from pathlib import Path

from generated import write_or_check

DOC = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def render() -> str:
    from calledit.api.app import openapi_document

    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    return write_or_check(DOC, render, ".venv/bin/python scripts/export_openapi.py", __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
