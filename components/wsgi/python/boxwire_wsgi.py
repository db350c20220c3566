"""Runs a Python WSGI application for boxwire (PEP 3333), standard library only.

boxwire starts this script as a worker process: it imports the application
once, then serves requests sent over a socket on file descriptor 3 with a
compact framed protocol, on a pool of threads (Rocket-style: several threads
per process). The application's own stdout and stderr are left alone; the
protocol never shares them.

Frames: type (1 byte), request id (4 bytes, big-endian), length (4 bytes),
payload. From boxwire: REQUEST (environ as JSON), BODY (request body bytes),
BODY_END, ABORT (the client went away), CREDIT (more response bytes may be
sent), STOP. To boxwire: READY, FATAL (import failed: traceback), START
(status and headers as JSON), DATA, END, FAIL (traceback; whether the
response had started), WANT (request body bytes wanted), FILE (a file to
send by the fast path: path, offset, length), LOG (wsgi.errors).

Backpressure both ways: wsgi.input asks for body bytes only when the
application reads (WANT), and response bytes go out only within the credit
boxwire grants as the client takes them.
"""

import importlib
import io
import json
import os
import socket
import struct
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

# Frame types: from boxwire
REQUEST, BODY, BODY_END, ABORT, CREDIT, STOP = 1, 2, 3, 4, 5, 6
# to boxwire
READY, FATAL, START, DATA, END, FAIL, WANT, FILE, LOG = 10, 11, 12, 13, 14, 15, 16, 17, 18

HEADER = struct.Struct(">BII")
# Headers a WSGI application must not send (PEP 3333: hop-by-hop).
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade",
}


class Aborted(Exception):
    """The client went away: stop producing the response."""


class Channel:
    """The framed socket to boxwire; frames are written whole, one thread at a time."""

    def __init__(self, sock):
        self.sock = sock
        self.lock = threading.Lock()

    def send(self, kind, rid, payload=b""):
        with self.lock:
            self.sock.sendall(HEADER.pack(kind, rid, len(payload)) + payload)

    def send_json(self, kind, rid, value):
        self.send(kind, rid, json.dumps(value).encode("utf-8"))

    def read_exactly(self, n):
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)


class Exchange:
    """One request in flight: its body coming in, its credit for the response going out."""

    def __init__(self, rid, channel):
        self.rid = rid
        self.channel = channel
        self.cond = threading.Condition()
        self.body = bytearray()
        self.body_done = False
        self.asked = False
        self.credit = 0
        self.aborted = False

    # -- from the reader thread
    def add_body(self, data):
        with self.cond:
            self.body += data
            self.asked = False
            self.cond.notify_all()

    def end_body(self):
        with self.cond:
            self.body_done = True
            self.cond.notify_all()

    def add_credit(self, n):
        with self.cond:
            self.credit += n
            self.cond.notify_all()

    def abort(self):
        with self.cond:
            self.aborted = True
            self.cond.notify_all()

    # -- from the application's thread
    def take_body(self, n):
        """n bytes of body, fewer only at its end (n < 0: all that is left); b"" at the end.

        Blocks this thread (never boxwire's) until the bytes have come,
        asking boxwire for them (WANT) only when the application reads.
        """
        with self.cond:
            while not self.aborted and not self.body_done and (n < 0 or len(self.body) < n):
                if not self.asked:
                    self.asked = True
                    want = n - len(self.body) if n >= 0 else 1 << 20
                    self.channel.send(WANT, self.rid, struct.pack(">I", max(want, 65536)))
                self.cond.wait()
            if self.aborted:
                raise Aborted()
            take = len(self.body) if n < 0 or n > len(self.body) else n
            data = bytes(self.body[:take])
            del self.body[:take]
            return data

    def spend(self, n):
        """Waits until n bytes of response may be sent."""
        with self.cond:
            while self.credit < n and not self.aborted:
                self.cond.wait()
            if self.aborted:
                raise Aborted()
            self.credit -= n


class Input(io.RawIOBase):
    """wsgi.input: read(n), readline(), readlines() and iteration; blocks this thread only."""

    def __init__(self, exchange, length):
        super().__init__()
        self.exchange = exchange
        self.remaining = length  # None: until the body ends
        self.pending = b""

    def readable(self):
        return True

    def _more(self, n):
        if self.remaining is not None:
            if self.remaining <= 0:
                return b""
            n = self.remaining if n < 0 else min(n, self.remaining)
        data = self.exchange.take_body(n)
        if self.remaining is not None:
            self.remaining -= len(data)
        return data

    def read(self, size=-1):
        if size is None:
            size = -1
        if size < 0:
            parts = [self.pending]
            self.pending = b""
            while True:
                data = self._more(-1)
                if not data:
                    return b"".join(parts)
                parts.append(data)
        if self.pending:
            data, self.pending = self.pending[:size], self.pending[size:]
            return data
        return self._more(size)

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size=-1):
        line = bytearray()
        while size < 0 or len(line) < size:
            if not self.pending:
                self.pending = self._more(8192)
                if not self.pending:
                    break
            want = len(self.pending) if size < 0 else min(len(self.pending), size - len(line))
            newline = self.pending.find(b"\n", 0, want)
            cut = want if newline < 0 else newline + 1
            line += self.pending[:cut]
            self.pending = self.pending[cut:]
            if newline >= 0:
                break
        return bytes(line)

    def readlines(self, hint=-1):
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class Errors:
    """wsgi.errors: text lines to boxwire's errors channel."""

    def __init__(self, channel, rid):
        self.channel = channel
        self.rid = rid
        self.buffer = ""

    def write(self, text):
        self.buffer += text
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            self.channel.send(LOG, self.rid, line.encode("utf-8", "replace"))

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.buffer:
            self.channel.send(LOG, self.rid, self.buffer.encode("utf-8", "replace"))
            self.buffer = ""


class FileWrapper:
    """wsgi.file_wrapper: iterable over the file, and recognised for the fast path."""

    def __init__(self, filelike, block_size=8192):
        self.filelike = filelike
        self.block_size = block_size
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.block_size)
        if data:
            return data
        raise StopIteration


def fast_path(result):
    """(path, offset, length) when the result is a wrapped real file boxwire can send itself."""
    if not isinstance(result, FileWrapper):
        return None
    f = result.filelike
    try:
        fd = f.fileno()
        path = getattr(f, "name", None)
        if not isinstance(path, str) or not os.path.isfile(path):
            return None
        offset = f.tell()
        size = os.fstat(fd).st_size
        return path, offset, max(0, size - offset)
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


class Response:
    """start_response and write(), with PEP 3333's rules."""

    def __init__(self, exchange):
        self.exchange = exchange
        self.status = None
        self.headers = None
        self.sent = False

    def start_response(self, status, headers, exc_info=None):
        if exc_info:
            try:
                if self.sent:
                    # Too late to change the response: re-raise, the connection will be closed.
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called a second time without exc_info")
        if not isinstance(status, str) or len(status) < 4 or not status[:3].isdigit() or status[3] != " ":
            raise AssertionError("status must be a string like '200 OK': %r" % (status,))
        checked = []
        for name, value in headers:
            if not isinstance(name, str) or not isinstance(value, str):
                raise AssertionError("header names and values must be native strings: %r" % ((name, value),))
            if name.lower() in HOP_BY_HOP:
                raise AssertionError("hop-by-hop header %r is the server's business" % name)
            checked.append([name, value])
        self.status = status
        self.headers = checked
        return self.write

    def send_headers(self):
        if not self.sent:
            if self.status is None:
                raise AssertionError("the application produced a body before calling start_response")
            self.exchange.channel.send_json(START, self.exchange.rid, {"status": self.status, "headers": self.headers})
            self.sent = True

    def write(self, data):
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("WSGI bodies are bytes, not %s" % type(data).__name__)
        self.send_headers()
        view = memoryview(data)
        while len(view):
            piece = view[: 1 << 16]
            self.exchange.spend(len(piece))
            self.exchange.channel.send(DATA, self.exchange.rid, bytes(piece))
            view = view[len(piece):]


class Runner:
    def __init__(self, app, channel, threads):
        self.app = app
        self.channel = channel
        self.exchanges = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.threads = threads

    def serve(self):
        self.channel.send_json(READY, 0, {"pid": os.getpid(), "threads": self.threads, "python": sys.version.split()[0]})
        try:
            while True:
                kind, rid, length = HEADER.unpack(self.channel.read_exactly(HEADER.size))
                payload = self.channel.read_exactly(length) if length else b""
                if kind == REQUEST:
                    exchange = Exchange(rid, self.channel)
                    with self.lock:
                        self.exchanges[rid] = exchange
                    self.pool.submit(self.handle, exchange, json.loads(payload.decode("utf-8")))
                elif kind == STOP:
                    break
                else:
                    with self.lock:
                        exchange = self.exchanges.get(rid)
                    if exchange is None:
                        continue
                    if kind == BODY:
                        exchange.add_body(payload)
                    elif kind == BODY_END:
                        exchange.end_body()
                    elif kind == CREDIT:
                        exchange.add_credit(struct.unpack(">I", payload)[0])
                    elif kind == ABORT:
                        exchange.abort()
        except EOFError:
            with self.lock:
                for exchange in self.exchanges.values():
                    exchange.abort()
        self.pool.shutdown(wait=True)

    def handle(self, exchange, message):
        rid = exchange.rid
        environ = message["environ"]
        errors = Errors(self.channel, rid)
        environ.update({
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": environ.pop("boxwire.url_scheme", "http"),
            "wsgi.input": Input(exchange, message.get("length")),
            "wsgi.errors": errors,
            "wsgi.multithread": self.threads > 1,
            "wsgi.multiprocess": bool(message.get("multiprocess", True)),
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
        })
        response = Response(exchange)
        result = None
        try:
            result = self.app(environ, response.start_response)
            wrapped = fast_path(result)
            if wrapped is not None:
                response.send_headers()
                path, offset, length = wrapped
                self.channel.send_json(FILE, rid, {"path": path, "offset": offset, "length": length})
            else:
                for chunk in result:
                    if not isinstance(chunk, (bytes, bytearray)):
                        raise TypeError("WSGI applications yield bytes, not %s" % type(chunk).__name__)
                    if chunk:
                        response.write(chunk)
                response.send_headers()
            self.channel.send(END, rid)
        except Aborted:
            pass
        except BaseException:  # noqa: BLE001 - the application's failure is reported, the worker goes on
            try:
                self.channel.send_json(FAIL, rid, {"traceback": traceback.format_exc(), "started": response.sent})
            except OSError:
                pass
        finally:
            try:
                if result is not None and hasattr(result, "close"):
                    result.close()
            except BaseException:  # noqa: BLE001
                errors.write("close() failed:\n" + traceback.format_exc())
            errors.flush()
            with self.lock:
                self.exchanges.pop(rid, None)


def load(spec):
    """module:callable, with the module importable from the working directory and PYTHONPATH."""
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    target = module
    for part in (attribute or "application").split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError("%s is not callable" % spec)
    return target


def main():
    spec = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    sys.path.insert(0, os.getcwd())
    channel = Channel(socket.socket(fileno=3))
    try:
        app = load(spec)
    except BaseException:  # noqa: BLE001
        channel.send(FATAL, 0, traceback.format_exc().encode("utf-8", "replace"))
        return 3
    Runner(app, channel, threads).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
