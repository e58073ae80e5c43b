"""Start the emulator: ``python -m emulator --port 8010``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from emulator.server import EmulatorServer
from emulator.state import DEFAULT_SETTINGS, ConnectedApp, State

logger = logging.getLogger("emulator")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="A stand-in for Salesforce and Account Engagement over HTTP.",
    )
    parser.add_argument("--port", type=int, default=8010, help="0 picks a free port")
    parser.add_argument("--client-id", default="demo-client-id")
    parser.add_argument("--client-secret", default="demo-client-secret")
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="skip the consent page and log in as login_hint or the admin",
    )
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--state-file", type=Path, help="keep the data in this JSON file"
    )
    parser.add_argument(
        "--token-lifetime",
        type=int,
        default=DEFAULT_SETTINGS["token_lifetime_seconds"],
        help="seconds an access token lives",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s"
    )
    settings = {
        "auto_approve": args.auto_approve,
        "latency_ms": args.latency_ms,
        "token_lifetime_seconds": args.token_lifetime,
    }
    try:
        state = State(
            ConnectedApp(args.client_id, args.client_secret), settings, args.state_file
        )
        state.save()
    except (OSError, ValueError) as error:
        print(f"Cannot use the state file: {error}", file=sys.stderr)
        return 2

    try:
        server = EmulatorServer(args.port, state)
    except OSError as error:
        print(f"Cannot listen on port {args.port}: {error}", file=sys.stderr)
        return 2
    # Handlers go in before the first line is printed: whoever waits for that
    # line may signal at once.
    stopping = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())
    print(f"listening on {server.base_url}", flush=True)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    # A short timeout keeps the main thread responsive to signals.
    while not stopping.wait(0.5):
        pass

    server.shutdown()
    server.server_close()
    state.save()
    logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
