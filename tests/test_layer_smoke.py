"""The shipped layer, as Lambda loads it: scripts/layer_smoke.py imports and invokes every function
of template.yaml in a bare Python 3.12 with only the layer, the handlers and the template's
environment (moto for AWS). The first run installs the layer's requirements (about a minute); later
runs reuse them from .ci/.layer-smoke/ and take seconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "layer_smoke.py"
PYENV_VERSION = os.environ.get("LAYER_SMOKE_PYENV_VERSION", "3.12.1")


def lambda_python() -> str | None:
    """pyenv's Python 3.12.1 (the template's python3.12 runtime), if installed."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    found = subprocess.run(
        [pyenv, "which", "python"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYENV_VERSION": PYENV_VERSION},
        check=False,
    )
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else None


def test_every_function_imports_and_answers_from_the_built_layer() -> None:
    python = lambda_python()
    if python is None:
        pytest.skip(
            f"needs Python {PYENV_VERSION} from pyenv (Lambda's python3.12 runtime) to build and run the "
            f"layer in a bare interpreter: `pyenv install {PYENV_VERSION}`"
        )
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--python", python],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-12000:]
    assert "FAIL" not in proc.stdout
