"""A loopback TCP proxy that injects network faults between an HTTP client (boto3) and a server (moto).

Bytes are relayed transparently in both directions, so keep-alive, ``Expect: 100-continue`` and any body framing
work unchanged. Faults are armed with :meth:`FaultProxy.drop_after`, :meth:`FaultProxy.respond_status` and
:meth:`FaultProxy.stall`; each is consumed by the next ``times`` *requests*, in the order armed, then disarms.

Requests are told apart without parsing HTTP: a request starts with the first client bytes on a connection, and
again whenever the client speaks after the server has sent a final (non-1xx) response and those bytes look like a
request line. That is exact for clients that do not pipeline (urllib3/botocore never do), so a fault also hits a
request that boto3 sends over a pooled keep-alive connection, not only one on a fresh connection.

Every fault ends the connection it hits, so the client's retry always arrives on a new connection. (Against moto
this is moot: its werkzeug server answers every request with "Connection: close", so each request is a new
connection anyway.)

An injected 503 carries the code S3 really uses for it, SlowDown; any other status gets InternalError (or
AccessDenied/NoSuchKey for 403/404).
"""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Literal, cast

HOST = "127.0.0.1"
_CHUNK = 64 * 1024
_MAX_HEADER = 64 * 1024
# Wake-up interval of the accept and relay loops: bounds how long stop() or the lifetime limit takes to bite.
_POLL = 0.25
_REQUEST_START = re.compile(rb"[A-Z]+ ")
_INTERIM_RESPONSE = re.compile(rb"HTTP/1\.[01] 1\d\d ")
_ERROR_CODES = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied", 404: "NoSuchKey"}

FaultKind = Literal["drop", "status", "stall"]


@dataclass
class _Fault:
    kind: FaultKind
    amount: float
    remaining: int


class _Abort(Exception):
    """The relay must end now; ``reset`` says whether to send RST instead of FIN."""

    def __init__(self, reset: bool) -> None:
        super().__init__()
        self.reset = reset


class FaultProxy:
    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        max_lifetime: float = 120.0,
        io_timeout: float = 30.0,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.max_lifetime = max_lifetime
        self.io_timeout = io_timeout
        self.port = 0
        self.connections = 0
        self.requests = 0
        self.faults_injected = 0
        self._lock = threading.Lock()
        self._faults: deque[_Fault] = deque()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._threads: set[threading.Thread] = set()
        self._sockets: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        if self._accept_thread is not None:
            raise RuntimeError("FaultProxy already started")
        self._listener = socket.create_server((HOST, 0), backlog=64)
        self.port = self._listener.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"faultproxy-{self.port}", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._halt()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start() if self._accept_thread is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _halt(self) -> None:
        self._stopping.set()
        with self._lock:
            sockets = list(self._sockets)
        if self._listener is not None:
            sockets.append(self._listener)  # wakes the accept loop at once instead of at its next poll
        # shutdown() (not close()) wakes a thread blocked in send/recv and leaves the close to the socket's owner,
        # so a file descriptor is never closed while another thread may still use it.
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # -- faults ----------------------------------------------------------------------------------------------

    def drop_after(self, nbytes: int, times: int = 1) -> None:
        """Forward ``nbytes`` of the request (headers included), then reset both connections."""
        self._arm("drop", nbytes, times)

    def respond_status(self, status: int, times: int = 1) -> None:
        """Answer the request with ``status`` and an S3-style XML error, without forwarding it; then close."""
        self._arm("status", status, times)

    def stall(self, seconds: float, times: int = 1) -> None:
        """Forward nothing and answer nothing for ``seconds`` (or until stop()), then close."""
        self._arm("stall", seconds, times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)

    def _arm(self, kind: FaultKind, amount: float, times: int) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        if amount < 0:
            raise ValueError(f"{kind} amount must not be negative")
        with self._lock:
            self._faults.append(_Fault(kind, amount, times))

    def _next_request(self) -> _Fault | None:
        with self._lock:
            self.requests += 1
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.popleft()
            self.faults_injected += 1
            return _Fault(fault.kind, fault.amount, 1)

    # -- accept loop -----------------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        listener = self._listener
        deadline = time.monotonic() + self.max_lifetime
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        try:
            while not self._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    # A test that forgot stop() must not leave a proxy (and its upstream connections) behind.
                    self._halt()
                    break
                if not selector.select(timeout=min(_POLL, left)):
                    continue
                try:
                    client, _ = listener.accept()
                except OSError:
                    continue
                self._spawn(client)
        finally:
            selector.close()
            listener.close()

    def _spawn(self, client: socket.socket) -> None:
        with self._lock:
            if self._stopping.is_set():
                client.close()
                return
            self.connections += 1
            self._sockets.add(client)
            thread = threading.Thread(
                target=self._serve, args=(client,), name=f"faultproxy-{self.port}-conn{self.connections}", daemon=True
            )
            self._threads.add(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
        if self._stopping.is_set():
            # _halt() may have snapshotted the socket set before this socket was added.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # -- one client connection -------------------------------------------------------------------------------

    def _serve(self, client: socket.socket) -> None:
        relay = _Relay(self, client)
        reset = False
        try:
            relay.run()
        except _Abort as abort:
            reset = abort.reset
        except OSError:
            pass
        finally:
            for sock in relay.sockets():
                if reset:
                    _set_reset_on_close(sock)
                with self._lock:
                    self._sockets.discard(sock)
                sock.close()
            with self._lock:
                self._threads.discard(threading.current_thread())


class _Relay:
    def __init__(self, proxy: FaultProxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.selector = selectors.DefaultSelector()
        # True while the next client bytes would begin a new request (at the start, and after a final response).
        self.at_request_boundary = True
        self.server_sent_since_client = False
        self.drop_left: int | None = None

    def sockets(self) -> list[socket.socket]:
        return [s for s in (self.client, self.upstream) if s is not None]

    def run(self) -> None:
        self.client.settimeout(self.proxy.io_timeout)
        self.selector.register(self.client, selectors.EVENT_READ)
        try:
            while not self.proxy._stopping.is_set():
                for key, _ in self.selector.select(timeout=_POLL):
                    sock = cast(socket.socket, key.fileobj)
                    data = sock.recv(_CHUNK)
                    if not data:
                        return  # either side closed; HTTP clients and servers never half-close mid-exchange
                    if sock is self.client:
                        self._from_client(data)
                    else:
                        self._from_upstream(data)
        finally:
            self.selector.close()

    def _connect_upstream(self) -> socket.socket:
        if self.upstream is None:
            self.upstream = socket.create_connection(self.proxy.upstream, timeout=self.proxy.io_timeout)
            self.proxy._track(self.upstream)
            self.selector.register(self.upstream, selectors.EVENT_READ)
        return self.upstream

    def _from_client(self, data: bytes) -> None:
        if self.at_request_boundary and _REQUEST_START.match(data):
            fault = self.proxy._next_request()
            if fault is not None and fault.kind == "status":
                self._respond(int(fault.amount), data)
            elif fault is not None and fault.kind == "stall":
                self.proxy._stopping.wait(fault.amount)
                raise _Abort(reset=False)
            elif fault is not None:
                self.drop_left = int(fault.amount)
        self.at_request_boundary = False
        self.server_sent_since_client = False
        if self.drop_left is not None:
            if len(data) >= self.drop_left:
                if self.drop_left:
                    self._connect_upstream().sendall(data[: self.drop_left])
                raise _Abort(reset=True)
            self.drop_left -= len(data)
        self._connect_upstream().sendall(data)

    def _from_upstream(self, data: bytes) -> None:
        # Only the first server bytes after the client spoke can start a response; a lone "100 Continue" is
        # interim, and the client's next bytes are that request's body, not a new request.
        if not self.server_sent_since_client:
            self.at_request_boundary = not _INTERIM_RESPONSE.match(data)
        else:
            self.at_request_boundary = True
        self.server_sent_since_client = True
        self.client.sendall(data)

    def _respond(self, status: int, first: bytes) -> None:
        deadline = time.monotonic() + self.proxy.io_timeout
        buf = first
        while b"\r\n\r\n" not in buf and len(buf) < _MAX_HEADER:
            chunk = self._recv_client(deadline)
            if not chunk:
                raise _Abort(reset=False)
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method = lines[0].split(" ", 1)[0]
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        # With "Expect: 100-continue" the client waits for our answer before sending the body, so there is
        # nothing to read; otherwise the body must be consumed, or closing with unread data would send RST and
        # could destroy the response before the client reads it.
        if headers.get("expect", "").lower() != "100-continue":
            left = int(headers.get("content-length", "0") or 0) - len(body)
            while left > 0:
                chunk = self._recv_client(deadline)
                if not chunk:
                    break
                left -= len(chunk)
        self.client.sendall(_error_response(status, method))
        # Lingering close: FIN first, then drain whatever the client still sends (e.g. a chunked body),
        # so the kernel does not answer unread data with RST before the client has read the response.
        with contextlib.suppress(OSError):
            self.client.shutdown(socket.SHUT_WR)
        drain_until = min(deadline, time.monotonic() + 2.0)
        while self._recv_client(drain_until):
            pass
        raise _Abort(reset=False)

    def _recv_client(self, deadline: float) -> bytes:
        """Next client bytes, or b"" at EOF, at the deadline or on stop(); short timeouts keep stop() prompt."""
        try:
            while not self.proxy._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.client.settimeout(min(left, _POLL))
                try:
                    return self.client.recv(_CHUNK)
                except TimeoutError:
                    continue
            return b""
        finally:
            self.client.settimeout(self.proxy.io_timeout)


def _error_response(status: int, method: str) -> bytes:
    code = _ERROR_CODES.get(status, "InternalError")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>Injected by FaultProxy</Message>"
        "<RequestId>FAULTPROXY</RequestId><HostId>faultproxy</HostId></Error>"
    ).encode()
    head = (
        f"HTTP/1.1 {status} {_reason(status)}\r\n"
        "Content-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\n"
        "x-amz-request-id: FAULTPROXY\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    # A response to HEAD announces its length but carries no body.
    return head if method == "HEAD" else head + body


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _set_reset_on_close(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN: an abrupt, mid-transfer failure.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
