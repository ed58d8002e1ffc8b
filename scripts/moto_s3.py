"""A local S3 API for the tests and the benchmarks: moto's server on a free loopback port, started from the project's
virtualenv (moto[server] is pinned in requirements-dev.txt), optionally recording every request it serves.

Used by the Glue script's S3 tests (through etl_testkit's `moto` and `s3_client` fixtures), bench/s3_requests.py and
bench/landing_read_s3.py."""

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

# moto's server whose request recorder writes one entry at a time: moto appends an entry in several writes when its
# body is large, and two requests served at once could then interleave their lines.
MOTO_LOCKED_RECORDER = """
import sys, threading
from moto.moto_api._internal.recorder.models import Recorder
from moto.server import main
record, lock = Recorder._record_request, threading.Lock()
def _record_request(self, request, body=None):
    with lock:
        record(self, request, body)
Recorder._record_request = _record_request
main(sys.argv[1:])
"""


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Request(NamedTuple):
    """One request moto's recorder saw: the HTTP method, the bucket and key of its path (unquoted; path-style), its
    query (`parse_qs`, blank values kept), its headers (names lower-cased) and its body."""

    method: str
    bucket: str
    key: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: bytes

    @property
    def kind(self) -> str:
        """The S3 API call: DeleteObjects, CopyObject, ListObjectsV2, GetObject, PutObject, HeadObject, DeleteObject;
        anything else as `METHOD object` or `METHOD bucket`."""
        if self.method == "POST" and "delete" in self.query:
            return "DeleteObjects"
        if self.method == "PUT" and "x-amz-copy-source" in self.headers:
            return "CopyObject"
        if self.method == "GET" and "list-type" in self.query:
            return "ListObjectsV2"
        if self.key:
            named = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}
            if self.method in named and not self.query.keys() - {"x-id"}:
                return named[self.method]
        return f"{self.method} {'object' if self.key else 'bucket'}"

    @property
    def copy_source(self) -> str:
        """A CopyObject's source key (without its bucket), else ''."""
        source = urllib.parse.unquote(self.headers.get("x-amz-copy-source", "")).lstrip("/")
        return source.partition("/")[2]

    @property
    def deleted_keys(self) -> List[str]:
        """The keys a DeleteObjects request names, else []."""
        if self.kind != "DeleteObjects":
            return []
        return re.findall(r"<Key>([^<]*)</Key>", self.body.decode("utf-8"))


def parse_entry(entry: Dict[str, Any]) -> S3Request:
    """An S3Request from one line of moto's recording."""
    url = urllib.parse.urlsplit(entry["url"])
    bucket, _, key = urllib.parse.unquote(url.path).lstrip("/").partition("/")
    body = entry.get("body") or ""
    raw = base64.b64decode(body) if entry.get("body_encoded") else body.encode("utf-8")
    return S3Request(entry["method"], bucket, key, urllib.parse.parse_qs(url.query, keep_blank_values=True),
                     {k.lower(): v for k, v in (entry.get("headers") or {}).items()}, raw)


class MotoS3:
    """moto's S3 server on a free loopback port. With `recording`, its request recorder writes there (started and
    read with `recorder`); with `log`, the server's output goes to that file, else nowhere. Waits up to 60 s for the
    server to answer; `stop` ends it."""

    def __init__(self, recording: Optional[Path] = None, log: Optional[Path] = None):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.recording = recording
        env = dict(os.environ)
        if recording is not None:
            env["MOTO_RECORDER_FILEPATH"] = str(recording)
        self._log = open(log, "w", encoding="utf-8") if log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-c", MOTO_LOCKED_RECORDER, "-H", "127.0.0.1", "-p", str(self.port)], env=env,
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto's S3 server did not start on {self.endpoint}")
                time.sleep(0.2)

    def recorder(self, action: str) -> bytes:
        """One call of moto's recorder API: start-recording, stop-recording, reset-recording, download-recording."""
        method = "GET" if action == "download-recording" else "POST"
        request = urllib.request.Request(f"{self.endpoint}/moto-api/recorder/{action}", method=method)
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.read()

    def record(self, call: Callable[[], Any]) -> Tuple[Any, List[S3Request]]:
        """Runs `call` with the recorder on (reset first): (its result, every request the server saw meanwhile, in
        order). Needs `recording`."""
        self.recorder("reset-recording")
        self.recorder("start-recording")
        try:
            result = call()
        finally:
            self.recorder("stop-recording")
        lines = self.recorder("download-recording").decode("utf-8").splitlines()
        return result, [parse_entry(json.loads(line)) for line in lines if line.strip()]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()


# Variables that would point boto3 at a real account or profile: removed wherever `aws_env` is used.
AWS_VARIABLES_REMOVED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def aws_env(endpoint: str, folder: Path) -> dict:
    """The environment variables that point boto3 at `endpoint` only, as on Glue (no code change, the environment):
    fixed test keys, a region, and config and credentials files in `folder` that do not exist. Remove
    AWS_VARIABLES_REMOVED beside them."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(Path(folder) / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(Path(folder) / "no-aws-credentials")}
