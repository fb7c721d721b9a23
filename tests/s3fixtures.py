"""A real moto S3 server on loopback, for tests that talk to S3 over HTTP with the real boto3 client.

Register the fixtures with ``pytest_plugins = ["s3fixtures"]`` in ``tests/conftest.py`` (or ``-p s3fixtures``).

Fixtures:

* ``s3_server`` (session): one moto server subprocess shared by the whole run -> :class:`S3Server`.
* ``s3_bucket`` (function): a freshly created bucket with a unique name on that server.
* ``aws_env`` (function): dummy credentials and no config/credential files, so nothing from the machine leaks in.
* ``fault_proxy`` (function): a :class:`faultproxy.FaultProxy` in front of ``s3_server``, stopped afterwards.

The server is shared, so tests isolate themselves by bucket name (``unique_bucket_name``) rather than by
resetting moto, which would pull buckets out from under other tests' fixtures.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient as S3Client
from botocore.config import Config
from faultproxy import FaultProxy

REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    host: str
    port: int
    region: str = REGION
    log_path: Path | None = None

    def client(self, endpoint_url: str | None = None, **config: Any) -> S3Client:
        """A boto3 S3 client with explicit dummy credentials; ``config`` goes to ``botocore.config.Config``.

        ``endpoint_url`` overrides the server's own, e.g. to go through a ``FaultProxy``.
        """
        return make_client(endpoint_url or self.endpoint_url, **config)

    def reset(self) -> None:
        """Wipe all moto state. Only for tests that own the whole server (it is shared per session)."""
        _http(self.host, self.port, "POST", "/moto-api/reset")


def make_client(endpoint_url: str, **config: Any) -> S3Client:
    # Credentials are passed explicitly so the client works with or without the aws_env fixture.
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(**config),
    )


def make_bucket(endpoint_url: str, name: str) -> str:
    make_client(endpoint_url).create_bucket(Bucket=name)
    return name


def unique_bucket_name(prefix: str = "psa-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def free_port(host: str = HOST) -> int:
    # There is a window between closing this socket and the server binding it; start_moto_server retries
    # if another process wins that race.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _http(host: str, port: int, method: str, path: str, timeout: float = 5.0) -> int:
    # http.client ignores HTTP(S)_PROXY, unlike urllib, so this can never leave loopback.
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION=REGION)
    return env


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def start_moto_server(log_path: Path, attempts: int = 3) -> Iterator[S3Server]:
    """Run moto's server (with atomic conditional writes, see moto_atomic.py) on a free loopback port."""
    last_error = ""
    for _ in range(attempts):
        port = free_port()
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("moto_atomic.py")), HOST, str(port)],
                stdin=subprocess.DEVNULL,
                # A file, not a pipe: nobody drains a pipe, and a full one would block the server mid-request.
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_server_env(),
            )
        try:
            if _wait_ready(proc, port):
                yield S3Server(endpoint_url=f"http://{HOST}:{port}", host=HOST, port=port, log_path=log_path)
                return
            last_error = log_path.read_text(errors="replace")[-2000:]
        finally:
            _stop(proc)
    raise RuntimeError(f"moto server did not start after {attempts} attempts; log tail:\n{last_error}")


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False  # most likely lost the port race
        try:
            if _http(HOST, port, "GET", "/moto-api/data.json", timeout=2.0) == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    log_path = tmp_path_factory.mktemp("moto") / "moto-server.log"
    with start_moto_server(log_path) as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    return make_bucket(s3_server.endpoint_url, unique_bucket_name())


@pytest.fixture
def fault_proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    proxy = FaultProxy(s3_server.host, s3_server.port).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials only: no profile, no config files, no instance metadata, no endpoint overrides."""
    for name in list(os.environ):
        # AWS_ENDPOINT_URL*, AWS_ROLE_ARN, container-credential variables and the like would all change
        # where boto3 connects or which credentials it uses.
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    missing = tmp_path / "no-aws"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing / "credentials"))
    # Keeps any credential lookup that does slip through from probing 169.254.169.254.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # boto3 honours HTTP(S)_PROXY; loopback must bypass any proxy set on the machine.
    for name in ("NO_PROXY", "no_proxy"):
        existing = os.environ.get(name, "")
        monkeypatch.setenv(name, ",".join(filter(None, [existing, "127.0.0.1", "localhost"])))
