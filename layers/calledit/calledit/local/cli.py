"""``calledit dev``: run the whole app on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import webbrowser
from pathlib import Path

from calledit.local.stack import REPO, LocalStack


def add_dev_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``calledit dev``."""
    parser.add_argument(
        "--port", type=int, default=3001, help="gateway port on 127.0.0.1 (0 = any free port)"
    )
    parser.add_argument("--dynamodb-port", type=int, default=8010, help="DynamoDB Local port")
    parser.add_argument(
        "--data-dir", type=Path, default=REPO / ".local", help="persistent data (tables, keys, users)"
    )
    parser.add_argument("--template", type=Path, default=REPO / "template.yaml")
    parser.add_argument("--no-open", action="store_true", help="do not open the browser")


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with LocalStack(
        port=args.port, data_dir=args.data_dir, dynamodb_port=args.dynamodb_port, template_path=args.template
    ) as stack:
        print(
            f"\n  CalledIt is running (model: offline unless CALLEDIT_MODEL is set)\n"
            f"  App        {stack.base_url}/\n"
            f"  WebSocket  {stack.ws_url}\n"
            f"  REST API   {stack.api_url}\n"
            f"  Sign-in    {stack.issuer_url} (local Cognito-compatible issuer)\n"
            f"  DynamoDB   {stack.dynamodb_endpoint} (data in {stack.data_dir})\n\n"
            f"  Ctrl-C to stop.\n",
            flush=True,
        )
        if not args.no_open:
            webbrowser.open(f"{stack.base_url}/")
        await stop.wait()
        print("stopping…", flush=True)


def run_dev(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(_serve(args))
    return 0
