"""gunicorn's gthread worker, with the liveness probe answered by the worker's own main thread.

A gthread worker's main thread accepts connections and hands each request to a small thread pool. When
the database freezes, every pool thread waits on it (up to the bounds in orders/database.py), and a
`GET /healthz` queued behind them waited too: 14.6 s in the issue 38 probe, long enough for a liveness
probe to restart a healthy worker, which then blocks again. Here the main thread, which never touches the
database, looks at each request before queueing it: a `GET` or `HEAD /healthz` gets its answer at once
from the main thread; anything else goes to the pool as before. A new connection whose request has not
arrived yet waits on the worker's poller (as gunicorn does for a slow client), not in the pool's queue.

So `/healthz` says exactly "this worker process is running its event loop", whatever the pool is doing,
and `/readyz` (a pool thread, reading the database) says whether it can serve. The answer is the Flask
route's (`{"status": "ok"}`, orders/web/screens/ops/views.py), which still serves it in development and
tests; requests answered here are not counted in /metrics.
"""
from __future__ import annotations

import re
import selectors
import socket
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

# The request head of a probe: GET or HEAD of /healthz (an optional query), HTTP/1.x, headers, blank line.
_PROBE = re.compile(rb"(GET|HEAD) /healthz(\?[^ \r\n]*)? HTTP/1\.[01]\r\n(?:[^\r\n]*\r\n)*?\r\n")
_PEEK_BYTES = 4096  # a probe's head is a few hundred bytes; a longer one goes the ordinary way
_BODY = b'{"status":"ok"}\n'
_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nCache-Control: no-store\r\n"
         b"X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n" % len(_BODY))


def probe_answer(head: bytes) -> tuple[int, bytes] | None:
    """(bytes of the request to consume, the response) when `head` starts with a whole /healthz request, else None."""
    match = _PROBE.match(head)
    if match is None:
        return None
    return match.end(), _HEAD + (b"" if match.group(1) == b"HEAD" else _BODY)


_NOTHING_YET = None  # the peek's answer when no byte has arrived (b"" means the client closed)


class ProbeThreadWorker(ThreadWorker):
    """gthread, with /healthz answered on the main thread, never queued behind database work."""

    def enqueue_req(self, conn):
        if self.cfg.is_ssl or conn.is_http2 or self._has_read_ahead(conn):  # nothing this thread could read
            return super().enqueue_req(conn)
        head = self._peek(conn)
        if head is _NOTHING_YET and not conn.initialized:
            # Accepted before its request arrived: wait on the poller (as gunicorn waits for a slow
            # client), not in the pool's queue, and look again when it is here.
            return self._wait_for_request(conn)
        answer = probe_answer(head) if head else None
        if answer is None:
            return super().enqueue_req(conn)
        consumed, response = answer
        try:
            conn.sock.recv(consumed)  # the probe's own bytes, already here (peeked)
            conn.sock.send(response)  # a fresh socket's send buffer takes these few bytes at once
        except OSError:
            pass  # the prober went away: nothing to answer
        self.nr_conns -= 1
        conn.close()

    @staticmethod
    def _has_read_ahead(conn) -> bool:
        """A kept-alive connection whose parser already holds bytes of the next request: the pool's to read."""
        return conn.parser is not None and bool(conn.parser.unreader.buf.getvalue())

    @staticmethod
    def _peek(conn) -> bytes | None:
        """The bytes waiting on the socket, left there; None when none has arrived, b"" when the client closed."""
        try:
            return conn.sock.recv(_PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return _NOTHING_YET
        except OSError:
            return b""

    def _wait_for_request(self, conn) -> None:
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_request_arrived, conn))

    def _on_request_arrived(self, conn, client) -> None:
        """gunicorn's on_pending_socket_readable, but back through enqueue_req, which looks at the request."""
        self.poller.unregister(client)
        self.pending_conns.remove(conn)
        conn.data_ready = True
        self.enqueue_req(conn)
