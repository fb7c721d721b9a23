"""The S3 test harness itself works: moto over real HTTP, and each FaultProxy fault does what it says."""

from __future__ import annotations

import http.client
import http.server
import os
import socket
import threading
import time

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from faultproxy import FaultProxy
from s3fixtures import S3Server, make_bucket, unique_bucket_name

pytestmark = [pytest.mark.media, pytest.mark.usefixtures("aws_env")]

ONE_MB = os.urandom(1024 * 1024)
# botocore's "max_attempts" counts *retries* (max_attempts=1 means two attempts); total_max_attempts counts tries.
NO_RETRIES = {"total_max_attempts": 1, "mode": "standard"}


def test_plain_boto3_client_reaches_moto_with_env_credentials(s3_server: S3Server) -> None:
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in os.environ
    client = boto3.client("s3", endpoint_url=s3_server.endpoint_url)
    name = unique_bucket_name()
    client.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in client.list_buckets()["Buckets"]]


def test_roundtrip_through_proxy(s3_server: S3Server, fault_proxy: FaultProxy) -> None:
    client = s3_server.client(fault_proxy.url)
    name = make_bucket(fault_proxy.url, unique_bucket_name())
    client.put_object(Bucket=name, Key="a/b.txt", Body=b"halo")
    assert client.get_object(Bucket=name, Key="a/b.txt")["Body"].read() == b"halo"
    assert fault_proxy.connections >= 1
    assert fault_proxy.faults_injected == 0


def test_status_fault_is_retried(s3_server: S3Server, fault_proxy: FaultProxy, s3_bucket: str) -> None:
    client = s3_server.client(fault_proxy.url, retries={"max_attempts": 5, "mode": "standard"})
    client.head_bucket(Bucket=s3_bucket)
    fault_proxy.respond_status(503, times=2)
    client.put_object(Bucket=s3_bucket, Key="k", Body=b"data")
    assert fault_proxy.faults_injected == 2
    assert fault_proxy.pending_faults == 0
    assert fault_proxy.requests == 4
    assert s3_server.client().get_object(Bucket=s3_bucket, Key="k")["Body"].read() == b"data"


def test_status_fault_surfaces_as_client_error_without_retries(
    s3_server: S3Server, fault_proxy: FaultProxy, s3_bucket: str
) -> None:
    fault_proxy.respond_status(500)
    client = s3_server.client(fault_proxy.url, retries=NO_RETRIES)
    with pytest.raises(ClientError) as caught:
        client.head_object(Bucket=s3_bucket, Key="missing")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_drop_mid_upload(s3_server: S3Server, fault_proxy: FaultProxy, s3_bucket: str) -> None:
    fault_proxy.drop_after(2000)
    once = s3_server.client(fault_proxy.url, retries=NO_RETRIES)
    with pytest.raises(ConnectionClosedError):
        once.put_object(Bucket=s3_bucket, Key="big", Body=ONE_MB)
    with pytest.raises(ClientError):
        s3_server.client().head_object(Bucket=s3_bucket, Key="big")

    fault_proxy.drop_after(2000)
    retrying = s3_server.client(fault_proxy.url, retries={"max_attempts": 3, "mode": "standard"})
    retrying.put_object(Bucket=s3_bucket, Key="big", Body=ONE_MB)
    assert fault_proxy.faults_injected == 2
    assert s3_server.client().get_object(Bucket=s3_bucket, Key="big")["Body"].read() == ONE_MB


def test_stall_times_out_quickly(s3_server: S3Server, fault_proxy: FaultProxy, s3_bucket: str) -> None:
    fault_proxy.stall(3)
    client = s3_server.client(fault_proxy.url, connect_timeout=1, read_timeout=1, retries=NO_RETRIES)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.put_object(Bucket=s3_bucket, Key="slow", Body=b"x")
    assert time.monotonic() - started < 10


def test_stop_ends_every_thread_even_mid_stall(s3_server: S3Server) -> None:
    proxy = FaultProxy(s3_server.host, s3_server.port).start()
    proxy.stall(60)
    client = s3_server.client(proxy.url, read_timeout=0.5, retries=NO_RETRIES)
    with pytest.raises(ReadTimeoutError):
        client.list_buckets()
    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 2
    assert not [t for t in threading.enumerate() if t.name.startswith(f"faultproxy-{proxy.port}")]


class _KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # moto's server closes after every response; this one keeps connections open

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_faults_hit_requests_on_a_kept_alive_connection() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    try:
        with FaultProxy("127.0.0.1", server.server_address[1]) as proxy:
            conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
            # A body that looks like a request line must not be mistaken for the next request.
            for body in (b"PUT / HTTP/1.1 as a body", b"second"):
                conn.request("PUT", "/x", body=body)
                response = conn.getresponse()
                assert (response.status, response.read()) == (200, body)
            proxy.respond_status(500)
            conn.request("PUT", "/x", body=b"third")
            response = conn.getresponse()
            assert response.status == 500
            assert b"<Code>InternalError</Code>" in response.read()
            conn.close()
            assert (proxy.connections, proxy.requests, proxy.faults_injected) == (1, 3, 1)
    finally:
        server.shutdown()
        server.server_close()
        serving.join(timeout=5)


def test_body_after_100_continue_is_not_taken_for_a_new_request() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    try:
        with FaultProxy("127.0.0.1", server.server_address[1]) as proxy:
            body = b"PUT /looks-like-a-request HTTP/1.1\r\n\r\n"
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
                head = f"PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
                sock.sendall(head.encode())
                assert _read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 100")
                proxy.respond_status(500)  # armed for the next request, which the body must not count as
                sock.sendall(body)
                assert _read_until(sock, body).startswith(b"HTTP/1.1 200")
            assert (proxy.requests, proxy.faults_injected, proxy.pending_faults) == (1, 0, 1)
    finally:
        server.shutdown()
        server.server_close()
        serving.join(timeout=5)


def _read_until(sock: socket.socket, end: bytes) -> bytes:
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    return data
