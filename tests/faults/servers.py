"""The dependencies `make faults` controls, each private to the run: a mail server
(SMTP sink), a partner's webhook receiver and an S3 store, small servers in this process
that can be told to refuse or fail; and a Redis server, a subprocess stopped and started
again. What the sink and the receiver got is the ground truth of the accounting: lost =
made but never received, duplicated = received more than once (same Message-ID, same
X-CollectivRecup-Delivery).

No Django here: the load test's process patches the standard library for gevent, and
these servers run as its greenlets (socketserver's threads).
"""

from __future__ import annotations

import collections
import contextlib
import re
import shutil
import socket
import socketserver
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Threaded(socketserver.ThreadingMixIn):
    daemon_threads = True
    allow_reuse_address = True


# --- Mail -------------------------------------------------------------------------------

class SmtpSink:
    """Enough SMTP for Django's backend (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

    mode "accept": 250 to everything; "defer": 451 to MAIL FROM (try later); "reject":
    the whole message read, then 554 (refused after DATA). `delay`: seconds before the
    answer to each RCPT (a slow server: the worker is mid-task meanwhile, and a worker
    killed then leaves a message the server never took).

    A message counts as received once the server answered 250 to its end of data, as a
    real server queues it then; a sender gone before the end of data left nothing. (A
    worker killed in the instant between that 250 and the database's write would send a
    second copy, with the same Message-ID: receivers drop it; the run's kills land in the
    dialogue before it.)"""

    def __init__(self):
        self.port = free_port()
        self.mode = "accept"
        self.delay = 0.0
        self.received: collections.Counter = collections.Counter()
        # When each copy of each message arrived (time.time()): a duplicate's two times,
        # set against the cases' times, say which fault sent it twice.
        self.arrivals: dict[str, list[float]] = collections.defaultdict(list)
        self.refused = 0
        self.lock = threading.Lock()
        # Run once, after the next message's end of data and before its 250 (arm()):
        # the postgres case stops the database there, with the mail in flight.
        self._before_accept = None
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self) -> None:
                # A sender killed mid-dialogue (the worker case) resets the connection.
                with contextlib.suppress(ConnectionError, BrokenPipeError):
                    self.dialogue()

            def dialogue(self) -> None:
                self.reply("220 faults-sink ESMTP")
                while True:
                    line = self.rfile.readline(65536)
                    if not line:
                        return
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.reply("250 faults-sink")
                    elif verb == b"MAIL":
                        if sink.mode == "defer":
                            with sink.lock:
                                sink.refused += 1
                            self.reply("451 4.3.0 Temporarily refusing mail (faults)")
                        else:
                            self.reply("250 2.1.0 OK")
                    elif verb == b"RCPT":
                        if sink.delay:
                            time.sleep(sink.delay)
                        self.reply("250 2.1.5 OK")
                    elif verb == b"DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = bytearray()
                        while True:
                            chunk = self.rfile.readline(1 << 20)
                            if not chunk:  # the sender gone before the end: nothing queued
                                return
                            if chunk == b".\r\n":
                                break
                            data += chunk
                        if sink.mode == "reject":
                            with sink.lock:
                                sink.refused += 1
                            self.reply("554 5.7.1 Message refused (faults)")
                            continue
                        found = MESSAGE_ID.search(bytes(data))
                        with sink.lock:
                            hook, sink._before_accept = sink._before_accept, None
                        if hook is not None:
                            hook()
                        self.reply("250 2.0.0 Queued")
                        with sink.lock:
                            key = found.group(1).decode() if found else f"<none-{time.time()}>"
                            sink.received[key] += 1
                            sink.arrivals[key].append(time.time())
                    elif verb == b"QUIT":
                        self.reply("221 Bye")
                        return
                    else:  # RSET, NOOP and the rest
                        self.reply("250 OK")

        class Server(_Threaded, socketserver.TCPServer):
            pass

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def arm(self, hook) -> None:
        """Run `hook` once, when the next message has been read and before the 250 that
        accepts it (the sender is then waiting for the answer)."""
        with self.lock:
            self._before_accept = hook

    def disarm(self) -> bool:
        """Take the hook back; False if it has already been taken by a message."""
        with self.lock:
            armed, self._before_accept = self._before_accept is not None, None
        return armed

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- A partner's webhook endpoint -------------------------------------------------------

class WebhookReceiver:
    """POST → 200 and the delivery id counted; mode "fail": 500 and nothing counted."""

    def __init__(self):
        self.port = free_port()
        self.mode = "accept"
        self.received: collections.Counter = collections.Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if receiver.mode == "fail":
                    self._answer(500)
                    return
                with receiver.lock:
                    receiver.received[self.headers.get("X-CollectivRecup-Delivery", "?")] += 1
                self._answer(200)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/collectivrecup"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- The media store --------------------------------------------------------------------

ERROR_XML = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
             b"<Message>We encountered an internal error. Please try again.</Message></Error>")


def _aws_chunked(body: bytes) -> bytes:
    """The payload of an aws-chunked upload: `<hex>[;ext]\\r\\n<data>\\r\\n`… then `0`."""
    out, rest = bytearray(), body
    while rest:
        header, _, rest = rest.partition(b"\r\n")
        size = int(header.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2:]
    return bytes(out)


class FakeS3:
    """Path-style S3 for one bucket, files on disk: PUT, GET, HEAD, DELETE objects,
    HEAD the bucket, an empty list. mode "fail": 500 InternalError to everything."""

    def __init__(self, root: Path, bucket: str = "collectivrecup-faults"):
        self.port = free_port()
        self.bucket = bucket
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.mode = "accept"
        self.failed = 0
        store = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _key(self) -> str:
                path = unquote(urlsplit(self.path).path).lstrip("/")
                _bucket, _, key = path.partition("/")
                return key

            def _file(self) -> Path | None:
                key = self._key()
                if not key or ".." in key.split("/"):
                    return None
                return store.root / key

            def _send(self, status: int, body: bytes = b"", content_type: str = "",
                      head: bool = False, extra: dict | None = None) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and not head:
                    self.wfile.write(body)

            def _failing(self, head: bool = False) -> bool:
                if store.mode != "fail":
                    return False
                store.failed += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self._send(500, ERROR_XML, "application/xml", head=head)
                return True

            def do_PUT(self) -> None:
                if self._failing():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if "aws-chunked" in self.headers.get("Content-Encoding", "") or \
                        self.headers.get("x-amz-decoded-content-length"):
                    body = _aws_chunked(body)
                target = self._file()
                if target is None:
                    self._send(200)
                    return
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
                self._send(200, extra={"ETag": f'"{len(body):x}"'})

            def _read(self, head: bool) -> None:
                if self._failing(head):
                    return
                target = self._file()
                if target is None:  # the bucket: HeadBucket, or an empty listing
                    listing = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult>'
                               b"<Name>" + store.bucket.encode() + b"</Name><KeyCount>0"
                               b"</KeyCount><IsTruncated>false</IsTruncated>"
                               b"</ListBucketResult>")
                    self._send(200, listing, "application/xml", head=head)
                    return
                if not target.is_file():
                    self._send(404, b"" if head else
                               b"<Error><Code>NoSuchKey</Code></Error>", "application/xml",
                               head=head)
                    return
                body = target.read_bytes()
                self._send(200, body, "application/octet-stream", head=head,
                           extra={"ETag": f'"{len(body):x}"',
                                  "Last-Modified": "Fri, 04 Dec 2026 12:00:00 GMT"})

            def do_GET(self) -> None:
                self._read(head=False)

            def do_HEAD(self) -> None:
                self._read(head=True)

            def do_DELETE(self) -> None:
                if self._failing():
                    return
                target = self._file()
                if target is not None:
                    with contextlib.suppress(FileNotFoundError):
                        target.unlink()
                self._send(204)

            def do_POST(self) -> None:  # DeleteObjects and the like: nothing to do here
                if self._failing():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._send(200, b"<DeleteResult/>", "application/xml")

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {"AWS_STORAGE_BUCKET_NAME": self.bucket, "AWS_S3_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": "faults", "AWS_SECRET_ACCESS_KEY": "faults-secret",
                "AWS_S3_REGION_NAME": "us-east-1", "AWS_S3_URL_PROTOCOL": "http:",
                # Plain PUT bodies (no aws-chunked trailer), as most S3-compatible stores
                # expect; and two tries, not five, when the store answers 500.
                "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
                "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
                "AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard"}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- The broker -------------------------------------------------------------------------

class Redis:
    """A redis-server of the run's own (no persistence, like the machine's: a restart
    empties it, so what was queued is gone and the sweeps must find it again)."""

    def __init__(self, log: Path):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def available(self) -> bool:
        return self.binary is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.2)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
