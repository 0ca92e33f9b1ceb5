"""Files generated from the Python source and kept in the repository: write them, or check in CI that
they are current."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def write_or_check(path: Path, render: Callable[[], str], command: str, description: str | None) -> int:
    """The command line of a generator: write ``path``, or with ``--check`` exit 1 when it is stale."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {path.name} is not current")
    args = parser.parse_args()
    current = render()
    if args.check:
        if not path.exists() or path.read_text() != current:
            print(f"{path} is stale: run {command}", file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    path.write_text(current)
    print(f"wrote {path}")
    return 0
