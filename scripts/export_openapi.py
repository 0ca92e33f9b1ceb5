"""Write docs/openapi.json from the REST app's routes; ``--check`` fails if the file is stale."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def render() -> str:
    from calledit.api.app import openapi_document

    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/openapi.json is not current")
    args = parser.parse_args()
    current = render()
    if args.check:
        if not DOC.exists() or DOC.read_text() != current:
            print(f"{DOC} is stale: run python scripts/export_openapi.py", file=sys.stderr)
            return 1
        print(f"{DOC} is current")
        return 0
    DOC.write_text(current)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
