"""The web server `make run` starts: waitress on a loopback port, one process.

gunicorn's threaded worker hands a thread to every connection that has sent a byte and lets it read the rest, so 40
clients trickling a request body held all 16 threads of `make run` and `GET /checkip` went unanswered for as long as
they trickled (finding 8 of issue 11). waitress reads and buffers every request in its event loop and gives a thread
only a complete one: a slow client costs a socket and a buffer, never a thread, and one that falls silent is closed
after CHANNEL_TIMEOUT. Production keeps gunicorn behind nginx, which buffers requests the same way (deploy/README.md).

One process is enough for the zero-setup default (SQLite serialises writes anyway), and the throttle counters are in
the database cache, so they would hold across processes too.

Run: `.venv/bin/python -m panel.serve --port 8000`.
"""

from __future__ import annotations

import argparse
import logging
import urllib.parse
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import waitress
from django.conf import settings

from panel.wsgi import application

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

THREADS = 8
CHANNEL_TIMEOUT = 30  # seconds a connection may stay silent, mid-request or kept alive, before it is closed
CONNECTION_LIMIT = 500  # open connections; poll() instead of select(), which stops at descriptor 1024
# waitress refuses bodies past this itself (a plain 413, before buffering them); bodies up to it reach the interfaces,
# which refuse those over MAX_REQUEST_BYTES with a 413 of their own format.
BODY_LIMIT_FACTOR = 4

log = logging.getLogger("panel.access")


def access_logged(app: WSGIApplication) -> WSGIApplication:
    """Log one line per request: client, method, path, protocol and status.

    Never the query string: the Primary DNS API v1 and dyndns2 accept passwords there, and a secret must not reach a
    log (gunicorn.conf.py leaves it out of gunicorn's log for the same reason). The path is percent-encoded, so a
    request cannot write a line of its own into the log."""

    def logged(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            path = urllib.parse.quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/")
            request = f"{environ['REQUEST_METHOD']} {path} {environ.get('SERVER_PROTOCOL', '-')}"
            log.info('%s "%s" %s', environ.get("REMOTE_ADDR", "-"), request, status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return logged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    waitress.serve(
        access_logged(application),
        listen=f"127.0.0.1:{args.port}",
        threads=THREADS,
        channel_timeout=CHANNEL_TIMEOUT,
        connection_limit=CONNECTION_LIMIT,
        asyncore_use_poll=True,
        max_request_body_size=BODY_LIMIT_FACTOR * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        # X-Forwarded-For and friends reach Django untouched: accounts/net.py decides whom to believe (TRUSTED_PROXIES)
        clear_untrusted_proxy_headers=False,
        ident="ctrlpanel",
    )


if __name__ == "__main__":
    main()
