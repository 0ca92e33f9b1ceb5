"""Deploy CalledIt to AWS (``make deploy``) or remove it (``make destroy``).

deploy:  sam build -> sam deploy (--guided the first time, when the stack does not exist yet)
         -> npm run build -> config.json from the stack's AppConfig output -> S3 upload (hashed assets
         cached for a year, index.html/config.json never) -> CloudFront invalidation -> the app URL.
         Running it again updates everything in place (idempotent).
destroy: empties the frontend bucket, then ``sam delete``. The user pool and the predictions table
         are retained by design (DeletionPolicy: Retain); the script says how to remove them.

Needs the AWS CLI, the SAM CLI, Node/npm and Python 3.12 (pyenv 3.12.1 is used when python3.12 is
not on PATH). Stack name and region come from samconfig.toml unless given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMMUTABLE = "public,max-age=31536000,immutable"
NEVER_CACHED = ("index.html", "config.json")
CONFIG_KEYS = ("websocketUrl", "apiUrl", "cognitoEndpoint", "cognitoClientId", "region", "mode")


class DeployError(Exception):
    """A step failed; the message says which and what to do."""


def _run(argv: Sequence[str], *, capture: bool = False, env: dict[str, str] | None = None) -> str:
    print(f"$ {' '.join(argv)}", flush=True)
    try:
        done = subprocess.run(  # noqa: S603 - fixed tools, arguments from our own config
            list(argv), check=True, text=True, capture_output=capture, env=env, cwd=ROOT
        )
    except FileNotFoundError:
        raise DeployError(f"{argv[0]} is not installed (needed for this step)") from None
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "").strip().splitlines()[-1:] if capture else []
        raise DeployError(
            f"`{' '.join(argv[:3])}` failed (exit {exc.returncode}) {' '.join(detail)}"
        ) from None
    return done.stdout if capture else ""


def samconfig(path: Path = ROOT / "samconfig.toml") -> tuple[str, str]:
    """Stack name and region from samconfig.toml."""
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    default = data.get("default", {})
    stack = default.get("global", {}).get("parameters", {}).get("stack_name", "calledit")
    region = default.get("deploy", {}).get("parameters", {}).get("region", "us-east-1")
    return str(stack), str(region)


def stack_outputs(stack: str, region: str) -> dict[str, str] | None:
    """The stack's outputs, or None when the stack does not exist."""
    try:
        raw = _run(
            [
                "aws",
                "cloudformation",
                "describe-stacks",
                "--stack-name",
                stack,
                "--region",
                region,
                "--output",
                "json",
            ],
            capture=True,
        )
    except DeployError as exc:
        if "does not exist" in str(exc) or "ValidationError" in str(exc):
            return None
        raise
    stacks = json.loads(raw).get("Stacks", [])
    if not stacks:
        return None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def app_config(outputs: dict[str, str]) -> dict[str, Any]:
    """config.json for the app, from the template's AppConfig output (one source of truth)."""
    try:
        config: dict[str, Any] = json.loads(outputs["AppConfig"])
    except (KeyError, ValueError):
        raise DeployError("the stack has no valid AppConfig output: is template.yaml deployed?") from None
    missing = [key for key in CONFIG_KEYS if not config.get(key)]
    if missing:
        raise DeployError(f"AppConfig misses {', '.join(missing)}")
    return config


def _python312_env() -> dict[str, str]:
    env = dict(os.environ)
    if shutil.which("python3.12") is None and shutil.which("pyenv") is not None:
        env["PYENV_VERSION"] = "3.12.1"  # sam build refuses other Pythons for python3.12 functions
    return env


def deploy(stack: str, region: str, frontend: Path, guided: bool | None = None) -> str:
    """Build and deploy the stack and the app; returns the app URL."""
    _run(["sam", "build"], env=_python312_env())
    first_time = stack_outputs(stack, region) is None
    if guided if guided is not None else first_time:
        _run(["sam", "deploy", "--guided", "--stack-name", stack, "--region", region])
    else:
        _run(
            [
                "sam",
                "deploy",
                "--stack-name",
                stack,
                "--region",
                region,
                "--no-confirm-changeset",
                "--no-fail-on-empty-changeset",
            ]
        )
    outputs = stack_outputs(stack, region)
    if outputs is None:
        raise DeployError(f"stack {stack} was not created in {region}")
    config = app_config(outputs)
    _run(["npm", "--prefix", str(frontend), "ci", "--no-audit", "--no-fund"])
    _run(["npm", "--prefix", str(frontend), "run", "build"])
    dist = frontend / "dist"
    (dist / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    bucket, distribution = outputs["FrontendBucketName"], outputs["DistributionId"]
    excludes = [arg for name in NEVER_CACHED for arg in ("--exclude", name)]
    _run(
        [
            "aws",
            "s3",
            "sync",
            str(dist),
            f"s3://{bucket}/",
            "--delete",
            "--region",
            region,
            "--cache-control",
            IMMUTABLE,
            *excludes,
        ]
    )
    for name in NEVER_CACHED:
        _run(
            [
                "aws",
                "s3",
                "cp",
                str(dist / name),
                f"s3://{bucket}/{name}",
                "--region",
                region,
                "--cache-control",
                "no-cache",
            ]
        )
    _run(
        [
            "aws",
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            distribution,
            "--paths",
            *(f"/{name}" for name in NEVER_CACHED),
        ]
    )
    return outputs["AppUrl"]


def destroy(stack: str, region: str) -> None:
    """Empty the frontend bucket and delete the stack."""
    outputs = stack_outputs(stack, region)
    if outputs is None:
        print(f"stack {stack} does not exist in {region}: nothing to do")
        return
    if bucket := outputs.get("FrontendBucketName"):
        _run(["aws", "s3", "rm", f"s3://{bucket}/", "--recursive", "--region", region])
    _run(["sam", "delete", "--stack-name", stack, "--region", region, "--no-prompts"])
    print(
        "Deleted. Kept on purpose (DeletionPolicy: Retain): the Cognito user pool and the predictions "
        "table. Remove them in the console (turn off deletion protection first) if you really mean it."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=["deploy", "destroy"])
    stack, region = samconfig()
    parser.add_argument("--stack-name", default=os.environ.get("CALLEDIT_STACK", stack))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", region))
    parser.add_argument("--frontend", type=Path, default=ROOT / "frontend")
    parser.add_argument("--guided", action="store_true", default=None, help="always run sam deploy --guided")
    parser.add_argument("--yes", action="store_true", help="destroy without asking")
    args = parser.parse_args(argv)
    try:
        if args.command == "deploy":
            url = deploy(args.stack_name, args.region, args.frontend, args.guided)
            print(f"\n  CalledIt is deployed: {url}\n")
            return 0
        if not args.yes:
            answer = input(f"Delete stack {args.stack_name} in {args.region} and its web app? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("not deleted")
                return 1
        destroy(args.stack_name, args.region)
        return 0
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
