"""Run the Xero emulator: `python3 -m xero_emulator --host 127.0.0.1 --port 8765 [options]`.

Run it from the repository root.
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading

from . import schema
from .persist import StateFileError
from .server import EmulatorServer
from .state import DEFAULT_BASE_CURRENCY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_NAME


def parse_args(argv=None):
    """The command line options."""
    parser = argparse.ArgumentParser(prog="python3 -m xero_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--org-name", default=DEFAULT_ORG_NAME)
    parser.add_argument("--base-currency", default=DEFAULT_BASE_CURRENCY)
    parser.add_argument(
        "--seed", metavar="FILE", help="JSON SEED loaded instead of the default org"
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep the state in FILE across restarts: loaded at start when it exists (then "
        "--seed is ignored), written after every change and at a clean stop",
    )
    parser.add_argument(
        "--virtual-clock", action="store_true", help="time moves only by /_emulator/clock"
    )
    parser.add_argument("--per-minute", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=5000)
    parser.add_argument("--concurrent", type=int, default=5)
    parser.add_argument("--app-per-minute", type=int, default=10000)
    parser.add_argument(
        "--openapi", metavar="PATH", help="Xero's xero_accounting.yaml (schema checks)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the emulator until interrupted (Ctrl-C or SIGTERM)."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s"
    )
    seed = None
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            seed = json.load(handle)
    try:
        server = _server(args, seed)
    except StateFileError as exc:
        print("xero_emulator: %s" % exc, file=sys.stderr)
        return 2
    print(server.banner(), flush=True)
    logging.getLogger("xero_emulator").info(schema.status(args.openapi))
    if args.state:
        logging.getLogger("xero_emulator").info("state kept in %s", os.path.abspath(args.state))

    def stop(_signum, _frame):
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _server(args, seed):
    return EmulatorServer(
        host=args.host,
        port=args.port,
        virtual_clock=args.virtual_clock,
        client_id=args.client_id,
        client_secret=args.client_secret,
        org_name=args.org_name,
        base_currency=args.base_currency,
        seed=seed,
        per_minute=args.per_minute,
        per_day=args.per_day,
        concurrent=args.concurrent,
        app_per_minute=args.app_per_minute,
        openapi_path=args.openapi,
        state_path=args.state,
    )


if __name__ == "__main__":
    sys.exit(main())
