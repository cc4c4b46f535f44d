"""The bare baseline for bench/http.py: one Starlette JSON route, served exactly as `hub serve` serves the Hub.

It reads and parses the JSON body and answers a document the size and shape of the Hub's `viewer`
answer, so the ratio measures what the Hub adds (middleware, auth, GraphQL, policy, database), not
HTTP itself.
"""

from __future__ import annotations

import argparse
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ANSWER = {
    "data": {
        "viewer": {
            "clientId": "demo-importer-acme",
            "roles": ["org-admin", "trade"],
            "organization": {"id": "T3JnYW5pemF0aW9uOjAwMDAwMDAwMDAwMDAwMDA=", "name": "Acme Home Goods Inc.",
                             "kind": "IMPORTER"},
        }
    }
}


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "alive"})


async def bare_json(request: Request) -> Response:
    payload = json.loads(await request.body())
    if not isinstance(payload, dict) or "query" not in payload:
        return JSONResponse({"errors": [{"message": "no query"}]}, 400)
    return JSONResponse(ANSWER)


app = Starlette(routes=[Route("/healthz", healthz), Route("/json", bare_json, methods=["POST"])])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="bare Starlette JSON endpoint for bench/http.py")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same uvicorn.run arguments as hub/cli.py cmd_serve, so both servers differ only in the app.
    uvicorn.run(
        "bench.bare_app:app", host="127.0.0.1", port=args.port, workers=1,
        log_config=None, access_log=False, proxy_headers=True, server_header=False,
    )


if __name__ == "__main__":
    main()
