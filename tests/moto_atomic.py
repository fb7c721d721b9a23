"""`python -m moto.server`, but with conditional writes that are atomic, as on AWS S3 and MinIO.

moto checks `If-Match` / `If-None-Match` and then stores the object in two steps without a lock,
on a threaded server: two concurrent conditional PUTs can both pass the check. Real S3 decides
a conditional write atomically, and the catalogue's compare-and-swap relies on exactly that; so
this launcher serialises requests that carry a condition (their bodies are read in full first, so
a slow upload holds no one up). Everything else is moto's own server, unchanged.

Usage: python tests/moto_atomic.py HOST PORT
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_CONDITIONS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH")
_MUTATING = ("PUT", "POST", "DELETE")


class AtomicConditions:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in _MUTATING or not any(environ.get(h) for h in _CONDITIONS):
            return self.app(environ, start_response)
        length = environ.get("CONTENT_LENGTH")
        stream = environ["wsgi.input"]
        # A chunked body has no length; werkzeug then marks the stream as ending with the body.
        body = stream.read(int(length)) if length else stream.read() if environ.get("wsgi.input_terminated") else b""
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        with self.lock:
            return list(self.app(environ, start_response))


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, AtomicConditions(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
