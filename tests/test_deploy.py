"""``make deploy`` / ``make destroy`` with the AWS, SAM and npm CLIs replaced by recording fakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAKE = r"""#!{python}
import json, os, sys
from pathlib import Path
state = Path(os.environ["FAKE_STATE"])
calls = state / "calls.jsonl"
with calls.open("a") as f:
    f.write(json.dumps([Path(sys.argv[0]).name, *sys.argv[1:]]) + "\n")
tool, args = Path(sys.argv[0]).name, sys.argv[1:]
deployed = (state / "deployed").exists()
if tool == "aws" and args[:2] == ["cloudformation", "describe-stacks"]:
    if not deployed:
        print("An error occurred (ValidationError) when calling the DescribeStacks operation: "
              "Stack with id calledit does not exist", file=sys.stderr)
        sys.exit(254)
    outputs = {{"AppUrl": "https://d123.cloudfront.net", "FrontendBucketName": "calledit-frontendbucket-x",
               "DistributionId": "E123", "AppConfig": json.dumps({{
                   "websocketUrl": "wss://ws.execute-api.eu-west-1.amazonaws.com/prod",
                   "apiUrl": "https://api.execute-api.eu-west-1.amazonaws.com/prod",
                   "cognitoEndpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
                   "cognitoClientId": "client123", "region": "eu-west-1", "mode": "aws"}})}}
    listed = [{{"OutputKey": k, "OutputValue": v}} for k, v in outputs.items()]
    print(json.dumps({{"Stacks": [{{"Outputs": listed}}]}}))
elif tool == "sam" and args[0] == "deploy":
    (state / "deployed").touch()
elif tool == "sam" and args[0] == "delete":
    (state / "deployed").unlink()
elif tool == "npm" and "build" in args:
    dist = Path(args[args.index("--prefix") + 1]) / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "index.html").write_text("<!doctype html>")
"""


@pytest.fixture
def fake_tools(tmp_path: Path) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("aws", "sam", "npm"):
        path = bin_dir / tool
        path.write_text(FAKE.format(python=sys.executable))
        path.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_STATE": str(state)}
    return env, state


def deploy_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "deploy.py"),
            *args,
            "--stack-name",
            "calledit",
            "--region",
            "eu-west-1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def calls(state: Path) -> list[list[str]]:
    return [json.loads(line) for line in (state / "calls.jsonl").read_text().splitlines()]


def test_deploy_is_guided_once_then_updates_in_place(
    fake_tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, state = fake_tools
    frontend = tmp_path / "frontend"
    first = deploy_cli(env, "deploy", "--frontend", str(frontend))
    assert first.returncode == 0, first.stderr
    assert "https://d123.cloudfront.net" in first.stdout
    made = calls(state)
    tools = [c[:2] for c in made]
    assert tools[0] == ["sam", "build"]
    assert ["sam", "deploy", "--guided", "--stack-name", "calledit", "--region", "eu-west-1"] in made
    config = json.loads((frontend / "dist" / "config.json").read_text())
    assert config["websocketUrl"].startswith("wss://") and config["mode"] == "aws"
    sync = next(c for c in made if c[:3] == ["aws", "s3", "sync"])
    assert "--delete" in sync and "s3://calledit-frontendbucket-x/" in sync
    assert "index.html" in sync and "config.json" in sync  # excluded from the long cache
    uploads = [c for c in made if c[:3] == ["aws", "s3", "cp"]]
    assert {c[4] for c in uploads} == {
        "s3://calledit-frontendbucket-x/index.html",
        "s3://calledit-frontendbucket-x/config.json",
    }
    assert all("no-cache" in c for c in uploads)
    invalidation = next(c for c in made if c[:2] == ["aws", "cloudfront"])
    assert "E123" in invalidation and "/index.html" in invalidation

    (state / "calls.jsonl").unlink()
    again = deploy_cli(env, "deploy", "--frontend", str(frontend))
    assert again.returncode == 0, again.stderr
    deploys = [c for c in calls(state) if c[:2] == ["sam", "deploy"]]
    assert deploys and all("--guided" not in c and "--no-fail-on-empty-changeset" in c for c in deploys)


def test_destroy_empties_the_bucket_before_deleting_the_stack(
    fake_tools: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, state = fake_tools
    (state / "deployed").touch()
    done = deploy_cli(env, "destroy", "--yes")
    assert done.returncode == 0, done.stderr
    made = calls(state)
    empty = made.index(
        ["aws", "s3", "rm", "s3://calledit-frontendbucket-x/", "--recursive", "--region", "eu-west-1"]
    )
    delete = next(i for i, c in enumerate(made) if c[:2] == ["sam", "delete"])
    assert empty < delete
    assert "Retain" in done.stdout
    again = deploy_cli(env, "destroy", "--yes")  # idempotent
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_a_failing_step_stops_with_one_line(fake_tools: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, _ = fake_tools
    (Path(env["PATH"].split(":")[0]) / "sam").write_text("#!/bin/sh\nexit 3\n")
    done = deploy_cli(env, "deploy", "--frontend", str(tmp_path / "frontend"))
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: `sam build` failed (exit 3)")
    assert "Traceback" not in done.stderr
