"""A real HTTP server on 127.0.0.1 that answers from a script of recorded responses.

Each request is logged (arrival time, path, query, headers). The answer comes from a
``responder(request) -> Reply`` function; :func:`scripted` builds one that serves
replies in order (repeating the last one). A reply with ``stream`` sends its body as
the pieces that function yields, without a Content-Length, until it ends or the
client goes away (a slow or endless body).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    at: float
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    ended: float = 0.0


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (a server going away)
    content_type: str = "text/xml; charset=utf-8"
    # The body as pieces written one after the other (then the connection closes).
    stream: Callable[[], Iterable[bytes]] | None = None


Responder = Callable[[Request], Reply]


class ReplayServer:
    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[Request] = []
        self.concurrent = 0
        self.max_concurrent = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.concurrent += 1
                    server.max_concurrent = max(server.max_concurrent, server.concurrent)
                try:
                    parts = urlsplit(self.path)
                    req = Request(
                        at=time.monotonic(),
                        path=parts.path,
                        params={k: v[-1] for k, v in parse_qs(parts.query).items()},
                        headers={k.lower(): v for k, v in self.headers.items()},
                    )
                    server.requests.append(req)
                    reply = server.responder(req)
                    if reply.drop:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    if reply.stream is not None:
                        self._stream(reply)
                        return
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(reply.body)
                    self.wfile.flush()
                finally:
                    with server._lock:
                        server.concurrent -= 1
                    if server.requests:
                        server.requests[-1].ended = time.monotonic()

            def _stream(self, reply: Reply) -> None:
                """Headers, then each piece as it comes; a client that hangs up ends it."""
                assert reply.stream is not None
                self.close_connection = True
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Connection", "close")
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.flush()
                    for piece in reply.stream():
                        self.wfile.write(piece)
                        self.wfile.flush()
                except OSError:  # the client stopped reading and closed
                    pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def gaps(self) -> list[float]:
        """Seconds between one request's arrival and the next one's."""
        times = [r.at for r in self.requests]
        return [b - a for a, b in pairwise(times)]


@contextmanager
def serve(responder: Responder) -> Iterator[ReplayServer]:
    server = ReplayServer(responder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def scripted(*replies: Reply) -> Responder:
    """Serve ``replies`` in order, then keep serving the last one."""
    queue = list(replies)

    def respond(_req: Request) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond
