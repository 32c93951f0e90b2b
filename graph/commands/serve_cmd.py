"""`alliance-graph serve`: the graph as a read-only SPARQL 1.1 Protocol endpoint."""

from __future__ import annotations

import argparse
import sys

from graph.commands import open_from_args, progress
from graph.limits import QueryLimits

HELP = "Serve the graph as a read-only SPARQL 1.1 endpoint (loopback by default)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7878, help="port (default: 7878; 0 picks a free one)")
    parser.add_argument("--cors", action="store_true", help="send CORS headers (off by default)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="seconds per query (default: $ALLIANCE_GRAPH_QUERY_TIMEOUT or 10; 0: none)")
    parser.add_argument("--max-rows", type=int, default=None, metavar="N",
                        help="rows per answer (default: $ALLIANCE_GRAPH_QUERY_MAX_ROWS or 10000; 0: none)")
    parser.add_argument("--public-url", default=None, metavar="URL",
                        help="the endpoint's public base IRI, used in its VoID and service description "
                             "(default: $ALLIANCE_GRAPH_PUBLIC_URL or http://HOST:PORT as bound)")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="another name (Host header) the server answers to; repeatable, '*' for any "
                             "(default: loopback names, the bound address, the public URL's host, "
                             "and $ALLIANCE_GRAPH_ALLOWED_HOSTS)")
    parser.add_argument("--request-timeout", type=float, default=None, metavar="S",
                        help="seconds a client has to send its whole request before it gets 408 "
                             "(default: $ALLIANCE_GRAPH_REQUEST_TIMEOUT or 20; 0: none)")
    parser.add_argument("--client-slots", type=int, default=None, metavar="N",
                        help="query slots one client (remote address) may hold at once, of 5 "
                             "(default: $ALLIANCE_GRAPH_CLIENT_SLOTS or 4, leaving one to the others)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")


def limits_from_args(args: argparse.Namespace) -> QueryLimits:
    overrides: dict[str, object] = {}
    if args.timeout is not None:
        overrides["timeout_s"] = args.timeout or None
    if args.max_rows is not None:
        overrides["max_rows"] = args.max_rows or None
    limits = QueryLimits.from_env()
    from dataclasses import replace

    return replace(limits, **overrides)  # type: ignore[arg-type]


def run(args: argparse.Namespace) -> int:
    from graph.endpoint import is_loopback, make_server

    limits = limits_from_args(args)
    kg = open_from_args(args, quiet=False)
    if not is_loopback(args.host):
        print(
            f"warning: listening on {args.host}, not loopback: anyone who can reach this "
            "machine can query the graph",
            file=sys.stderr,
        )
    server = make_server(
        kg, args.host, args.port, limits=limits, cors=args.cors, quiet=args.quiet,
        public_url=args.public_url, allowed_hosts=args.allowed_host,
        request_timeout=args.request_timeout, per_client_slots=args.client_slots,
    )  # fmt: skip
    host, port = str(server.server_address[0]), str(server.server_address[1])
    progress(
        f"SPARQL endpoint at http://{host}:{port}/sparql "
        f"(time limit {limits.timeout_s or 'none'} s, row limit {limits.row_cap() or 'none'}"
        f"{', CORS on' if args.cors else ''}); Ctrl-C to stop"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
