"""Runs a Python WSGI application for boxwire (PEP 3333), standard library only.

boxwire starts this script as a worker process:

    python3 boxwire_wsgi.py MODULE:CALLABLE THREADS MULTIPROCESS [EXECUTOR_THREADS EXECUTOR_QUEUE LIFESPAN]

It imports the application once, then serves requests sent over the socket
on file descriptor 3, on THREADS threads (Rocket-style: several threads per
process). The application's own stdout and stderr are left alone (boxwire
logs their lines); the protocol never shares them. File descriptor 4 is a
second socket that carries only withdrawals (below), so that a worker busy
with a request can answer them at once.

Frames, both ways: type (1 byte), request id (4 bytes), payload length (4
bytes), payload; integers big-endian. Strings of the environ and the
response head are PEP 3333 native strings: latin-1, so each character is
one byte.

From boxwire:
  REQUEST     credit bytes (4), credit chunks (4), flags (1: bit 0 the
              request has a body), then the environ's CGI variables as
              NAME NUL VALUE NUL NAME NUL VALUE ...
  BODY        request body bytes, sent only when asked for (WANT)
  BODY_END    the request body has ended
  BODY_ERROR  the body cannot be had: status (2), then why (UTF-8)
  CREDIT      the client has taken bytes (4) and chunks (4): send as many more
  ABORT       the client went away: stop, and call the result's close() (sent on fd 4
              too, so that a process busy with the request hears it at once)
End of file on the socket asks the worker to stop. A REQUEST may come while
every thread is busy (boxwire posts it ahead): it starts as soon as one is
free, in the order they came, unless boxwire takes it back first:
  WITHDRAW    (on fd 4) request id, then the request's number (4): its place
              among the REQUEST frames of fd 3, counting from 1

To boxwire:
  READY       the application is loaded: JSON {pid, threads, python}
  FATAL       it could not be: the traceback (UTF-8); the process exits
  HEAD        flags (1: bit 0 nothing follows), status (2), head length (4),
              the head (NAME NUL VALUE ... latin-1), then the first body bytes
  DATA        response body bytes
  END         the body is complete
  FILE        status (2), start (8), end (8), path length (4), the path
              (file system bytes), then the head as in HEAD: wsgi.file_wrapper
              over a real file, which boxwire sends itself; nothing follows
  FAIL        status (2), message length (4), message, traceback (UTF-8):
              before HEAD the answer, after it the response is cut short
  WANT        request body bytes wanted: the application is reading
  BLOCKED     waiting for credit: the client is slow, not the application
  LOG         a line written to wsgi.errors (UTF-8)
  WITHDRAWN   the request boxwire took back will not run here (nothing else
              is ever sent about it); a request that had started already
              goes on, and WITHDRAW is ignored
Every request ends with exactly one of HEAD with bit 0 set, END, FILE or
FAIL, sent once the application is done with it (its close() called).

Rocket's futures (its FuturesMiddleware, the wsgiorg.executor draft after
PEP 3148): environ['wsgiorg.executor'] runs functions after the response on
EXECUTOR_THREADS threads of the process, with at most EXECUTOR_QUEUE waiting
(submit raises ExecutorFull beyond); environ['wsgiorg.futures'] holds the
futures remembered by name, each for LIFESPAN seconds after it has finished.
When the process stops, what was submitted runs to its end first.

Backpressure both ways: wsgi.input asks for body bytes only when the
application reads, and response bytes go out only within the credit
boxwire grants as the client takes them (DATA frames of at most 64 KiB).
"""

import collections
import importlib
import io
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor

# Frame types, from boxwire
REQUEST, BODY, BODY_END, BODY_ERROR, CREDIT, ABORT, WITHDRAW = 1, 2, 3, 4, 5, 6, 7
# to boxwire
READY, FATAL, HEAD, DATA, END, FILE, FAIL, WANT, BLOCKED, LOG, WITHDRAWN = 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20

FRAME = struct.Struct(">BII")
CREDIT_PAIR = struct.Struct(">II")
REQUEST_FIXED = struct.Struct(">IIB")
HEAD_FIXED = struct.Struct(">BHI")
# A HEAD frame's header and fixed fields, packed at once.
HEAD_START = struct.Struct(">BII" + HEAD_FIXED.format[1:])
FILE_FIXED = struct.Struct(">HQQI")
FAIL_FIXED = struct.Struct(">HI")
STATUS = struct.Struct(">H")
NUMBER = struct.Struct(">I")

# The largest DATA frame: bigger writes are cut, each piece within credit.
PIECE = 1 << 16
# Seconds the process may take to finish its requests once boxwire has closed the socket.
STOP_GRACE = 5
# Lists whose bytes add up to no more than this go whole, with the head.
WHOLE = 1 << 19

# PEP 3333, "Other HTTP Features": the server owns the connection (RFC 9110 section 7.6.1).
HOP_BY_HOP = frozenset((
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade",
))
# RFC 9110 section 5.6.2: a field name is a token.
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 section 5.5: field values are HTAB, visible ASCII and obs-text; never CR, LF, NUL or another control character.
FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
# PEP 3333: "999 Message here"; only final statuses (boxwire sends interim ones itself).
STATUS_LINE = re.compile(r"([2-5][0-9][0-9]) [\t\x20-\x7e\x80-\xff]*")


class Aborted(Exception):
    """The client went away: stop producing the response."""


class InputError(IOError):
    """The request body could not be read (too large, malformed, too slow): its HTTP status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Channel:
    """The framed socket to boxwire. Frames are written whole, one thread at a time."""

    def __init__(self, sock):
        self.sock = sock
        self.lock = threading.Lock()
        # The start of a frame not yet whole, from the last read.
        self.partial = b""
        # Where reads land: one buffer for every read (recv() would allocate a new one each time).
        self.landing = memoryview(bytearray(1 << 18))

    def send(self, kind, rid, payload=b""):
        self.send_parts(FRAME.pack(kind, rid, len(payload)), payload)

    def send_parts(self, head, payload):
        """One frame, given as its first bytes and the rest: in one write, without copying a big rest behind the head."""
        with self.lock:
            if len(payload) <= 16384:
                self.sock.sendall(head + payload)
                return
            sent = self.sock.sendmsg((head, payload))
            if sent < len(head):
                self.sock.sendall(head[sent:])
                sent = len(head)
            if sent < len(head) + len(payload):
                self.sock.sendall(memoryview(payload)[sent - len(head):])

    def read(self, handle):
        """Reads once (blocking) and hands each whole frame to handle(kind, id, payload); False once boxwire has closed its end.

        The payload is a memoryview of the read buffer, valid only during
        the call: what a handler keeps, it copies (as it decodes it). Only
        the start of a frame cut by the read is kept for the next one.
        """
        count = self.sock.recv_into(self.landing)
        if not count:
            return False
        data = self.landing[:count]
        if self.partial:
            data = memoryview(self.partial + data)
        size = len(data)
        at = 0
        unpack = FRAME.unpack_from
        while size - at >= 9:
            kind, rid, length = unpack(data, at)
            end = at + 9 + length
            if end > size:
                break
            handle(kind, rid, data[at + 9:end])
            at = end
        self.partial = bytes(data[at:]) if at < size else b""
        return True


class ExecutorFull(RuntimeError):
    """wsgiorg.executor has as many functions waiting as it takes: retry later, do the work now, or answer 503."""


class WSGIFuture(Future):
    """A future of wsgiorg.executor: a concurrent.futures.Future that can be remembered by name.

    timeout: seconds it may wait for a thread before it is cancelled (None:
    as long as it takes), checked just before it would run.
    """

    def __init__(self, executor):
        super().__init__()
        self.timeout = None
        self.name = None
        self._executor = executor
        self._submitted = time.monotonic()

    def remember(self, name, lifespan=None, duplicate_behavior="raise"):
        """Keeps the future in wsgiorg.futures as `name` until `lifespan` seconds after it has finished.

        duplicate_behavior: "raise" (NameError when another future has the
        name) or "replace" (the other is forgotten).
        """
        self._executor.remember(self, name, lifespan, duplicate_behavior)
        return self

    def forget(self):
        """Takes the future out of wsgiorg.futures; it runs on (or not) as before."""
        self._executor.forget(self)
        return self


class Executor:
    """wsgiorg.executor: submit(fn, *args, **kwargs) runs fn on a thread of this process after the response.

    Its threads are made at the first submit (a process that never uses it
    costs none); at most `queue` functions wait, and submit raises
    ExecutorFull beyond that. A function that raises has its future hold the
    exception, and the traceback is logged, as nobody may ever look.
    wsgiorg.futures (`futures`) is read-only for applications: remember()
    and forget() change it.
    """

    multithread = True
    multiprocess = False
    # What submit raises when the queue is full, for applications to catch by name.
    Full = ExecutorFull

    def __init__(self, threads, queue, lifespan, errors):
        self.futures = {}
        self.threads = threads
        self.queue = queue
        self.lifespan = lifespan
        self.errors = errors
        self.lock = threading.Lock()
        self.pool = None
        self.waiting = 0
        self.stopping = False
        # Names of finished remembered futures, and when they are dropped.
        self.expiry = {}

    def submit(self, fn, *args, **kwargs):
        if not callable(fn):
            raise TypeError("wsgiorg.executor.submit() takes a callable, not %s" % type(fn).__name__)
        future = WSGIFuture(self)
        with self.lock:
            if self.stopping:
                raise RuntimeError("cannot schedule new futures after shutdown: the server is stopping")
            if self.waiting >= self.queue:
                raise ExecutorFull("wsgiorg.executor: %d functions wait already, the most it takes" % self.waiting)
            if self.pool is None:
                self.pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="wsgiorg.executor")
            self.waiting += 1
            self.pool.submit(self.run, future, fn, args, kwargs)
        return future

    def run(self, future, fn, args, kwargs):
        with self.lock:
            self.waiting -= 1
        if future.timeout is not None and time.monotonic() - future._submitted > future.timeout:
            future.cancel()
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - the future holds it
            future.set_exception(error)
            name = getattr(fn, "__name__", type(fn).__name__)
            with self.lock:
                self.errors.write("wsgiorg.executor: %s() failed:\n%s" % (name, "".join(traceback.format_exception(type(error), error, error.__traceback__))))
                self.errors.flush()
        else:
            future.set_result(result)

    def remember(self, future, name, lifespan, duplicate_behavior):
        if duplicate_behavior not in ("raise", "replace"):
            raise ValueError('duplicate_behavior is "raise" or "replace", not %r' % (duplicate_behavior,))
        with self.lock:
            self.expire_locked()
            other = self.futures.get(name)
            if other is not None and other is not future:
                if duplicate_behavior == "raise":
                    raise NameError('a future is remembered as "%s" already' % name)
                other.name = None
            if future.name is not None and future.name != name:
                self.futures.pop(future.name, None)
                self.expiry.pop(future.name, None)
            future.name = name
            self.futures[name] = future
            self.expiry.pop(name, None)
        keep = self.lifespan if lifespan is None else lifespan
        future.add_done_callback(lambda done: self.finished(done, name, keep))

    def finished(self, future, name, lifespan):
        with self.lock:
            if self.futures.get(name) is future:
                self.expiry[name] = time.monotonic() + lifespan

    def forget(self, future):
        with self.lock:
            if future.name is not None and self.futures.get(future.name) is future:
                del self.futures[future.name]
                self.expiry.pop(future.name, None)
            future.name = None

    def expire(self):
        """Drops the remembered futures whose lifespan is over (looked at as each request starts)."""
        if self.expiry:
            with self.lock:
                self.expire_locked()

    def expire_locked(self):
        now = time.monotonic()
        for name in [name for name, at in self.expiry.items() if at <= now]:
            del self.expiry[name]
            future = self.futures.pop(name, None)
            if future is not None:
                future.name = None

    def shutdown(self):
        """Takes no more; what was submitted runs to its end (boxwire stops the process after python.killGrace)."""
        with self.lock:
            self.stopping = True
            pool = self.pool
        if pool is not None:
            pool.shutdown(wait=True)


class Pump:
    """An exchange's condition in a one-thread worker: there is nobody to wait for, so waiting is reading the next frames."""

    def __init__(self, runner):
        self.runner = runner

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def wait(self):
        self.runner.pump()

    def notify_all(self):
        pass


class Exchange:
    """One request in flight: its body coming in, its credit for the response going out."""

    __slots__ = ("rid", "channel", "cond", "body", "body_done", "body_error", "asked", "credit_bytes", "credit_chunks",
                 "told_blocked", "aborted", "number", "started", "withdrawn")

    def __init__(self, rid, channel, cond, credit_bytes, credit_chunks, has_body):
        self.rid = rid
        self.channel = channel
        # A threading.Condition when a reader thread feeds the exchange; a Pump when its own thread does.
        self.cond = cond
        self.body = bytearray()
        self.body_done = not has_body
        self.body_error = None
        self.asked = False
        self.credit_bytes = credit_bytes
        self.credit_chunks = credit_chunks
        self.told_blocked = False
        self.aborted = False
        # Its place among the requests read, for WITHDRAW; whether it has started, or was taken back before it did.
        self.number = 0
        self.started = False
        self.withdrawn = False

    # From the reader thread.
    def add_body(self, data):
        with self.cond:
            self.body += data
            self.asked = False
            self.cond.notify_all()

    def end_body(self, error=None):
        with self.cond:
            self.body_done = True
            self.body_error = error
            self.cond.notify_all()

    def add_credit(self, nbytes, chunks):
        with self.cond:
            self.credit_bytes += nbytes
            self.credit_chunks += chunks
            self.told_blocked = False
            self.cond.notify_all()

    def abort(self):
        with self.cond:
            self.aborted = True
            self.cond.notify_all()

    # From the application's thread.
    def take(self, measure):
        """Body bytes: as many as `measure(body, ended)` says, once it says a number (None: wait for more).

        Blocks this thread (never boxwire's) until then, asking boxwire for
        more (WANT) only while the application waits for them.
        """
        with self.cond:
            while True:
                if self.aborted:
                    raise Aborted()
                count = measure(self.body, self.body_done)
                if count is not None:
                    break
                if not self.asked:
                    self.asked = True
                    self.channel.send(WANT, self.rid)
                self.cond.wait()
            if not self.body and self.body_error is not None:
                raise self.body_error
            data = bytes(self.body[:count])
            del self.body[:count]
            return data

    def spend(self, nbytes):
        """Waits until nbytes more may be sent (telling boxwire once that it waits), and takes them."""
        with self.cond:
            while (self.credit_bytes < nbytes or self.credit_chunks < 1) and not self.aborted:
                if not self.told_blocked:
                    self.told_blocked = True
                    self.channel.send(BLOCKED, self.rid)
                self.cond.wait()
            if self.aborted:
                raise Aborted()
            self.credit_bytes -= nbytes
            self.credit_chunks -= 1


class Input:
    """wsgi.input: read(size), readline(size), readlines(hint) and iteration.

    Reads block the application's thread until the bytes have come. The
    input ends where the body does (CONTENT_LENGTH or the end of a chunked
    body): wsgi.input_terminated is true, so reading to the end is safe.
    """

    def __init__(self, exchange, length):
        self.exchange = exchange
        # Bytes left to read; None: until boxwire says the body has ended (chunked).
        self.remaining = length

    def _cap(self, size):
        # None, like a negative size, means all there is (PEP 3333 callers pass either).
        if size is None:
            size = -1
        if self.remaining is None:
            return size
        return self.remaining if size < 0 else min(size, self.remaining)

    def _took(self, data):
        if self.remaining is not None:
            self.remaining -= len(data)
        return data

    def read(self, size=-1):
        size = self._cap(size)
        if size == 0:
            return b""
        if size < 0:
            return self._took(self.exchange.take(lambda body, ended: len(body) if ended else None))
        return self._took(self.exchange.take(lambda body, ended: size if len(body) >= size else (len(body) if ended else None)))

    def readline(self, size=-1):
        size = self._cap(size)
        if size == 0:
            return b""
        cut = sys.maxsize if size < 0 else size

        def line(body, ended):
            newline = body.find(b"\n", 0, cut)
            if newline >= 0:
                return newline + 1
            if len(body) >= cut:
                return cut
            return len(body) if ended else None

        return self._took(self.exchange.take(line))

    def readlines(self, hint=-1):
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class Errors:
    """wsgi.errors: text, sent on by lines to boxwire's errors channel."""

    def __init__(self, channel, rid):
        self.channel = channel
        self.rid = rid
        self.partial = ""

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("wsgi.errors takes str, not %s" % type(text).__name__)
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()
        for line in lines:
            self.channel.send(LOG, self.rid, line.encode("utf-8", "replace"))

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.partial:
            line, self.partial = self.partial, ""
            self.channel.send(LOG, self.rid, line.encode("utf-8", "replace"))


class FileWrapper:
    """wsgi.file_wrapper: iterates over the file; a real file is sent by boxwire itself."""

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


def file_range(result):
    """(path, start, end) when the result wraps a regular file boxwire can send itself (PEP 3333, Optional Platform-Specific File Handling).

    Only a plain file opened by name (open(path, "rb")): boxwire opens it
    again by that name once the application has closed it, so a file that
    goes away when closed (tempfile.NamedTemporaryFile) is read here instead.
    """
    if type(result) is not FileWrapper:
        return None
    f = result.filelike
    if type(f) not in (io.BufferedReader, io.FileIO):
        return None
    try:
        path = getattr(f, "name", None)
        if not isinstance(path, (str, bytes)) or "b" not in getattr(f, "mode", ""):
            return None
        fd = f.fileno()
        stat = os.fstat(fd)
        # The name must still be the file that is open: boxwire opens it again by name.
        named = os.stat(path)
        if (named.st_dev, named.st_ino) != (stat.st_dev, stat.st_ino) or not os.path.isfile(path):
            return None
        start = f.tell()
        return os.path.abspath(path), start, max(start, stat.st_size)
    except (AttributeError, OSError, ValueError):
        return None


# Statuses and field names found valid already, each checked once; bounded, so that an application cannot grow them without end.
KNOWN_STATUSES = {}
# Field name -> whether it is Content-Length.
KNOWN_NAMES = {}
KNOWN_AT_MOST = 1024


def status_code(status):
    """PEP 3333: "999 Message here", a final status."""
    if type(status) is not str:
        raise AssertionError("status must be a str such as '200 OK', not %s" % type(status).__name__)
    code = KNOWN_STATUSES.get(status)
    if code is not None:
        return code
    matched = STATUS_LINE.fullmatch(status)
    if matched is None:
        raise AssertionError("status must be three digits (200 to 599), a space and a reason phrase, such as '200 OK' (got %r)" % status)
    code = int(matched.group(1))
    if len(KNOWN_STATUSES) < KNOWN_AT_MOST:
        KNOWN_STATUSES[status] = code
    return code


def field_name(name):
    """Whether a field name an application gives is Content-Length; refuses one that is not a token, or hop-by-hop (PEP 3333)."""
    if TOKEN.fullmatch(name) is None:
        raise AssertionError("header name %r is not a token (RFC 9110 section 5.1)" % name)
    lower = name.lower()
    if lower in HOP_BY_HOP:
        raise AssertionError("%s is a hop-by-hop header: the server manages the connection (PEP 3333)" % name)
    is_length = lower == "content-length"
    if len(KNOWN_NAMES) < KNOWN_AT_MOST:
        KNOWN_NAMES[name] = is_length
    return is_length


def check_headers(headers):
    """PEP 3333: a list of (name, value) native strings; names are tokens, values hold no control character, no hop-by-hop field.

    Returns the declared Content-Length (the first that is a number), or None.
    """
    if type(headers) is not list:
        raise AssertionError("headers must be a list of (name, value) tuples, not %s" % type(headers).__name__)
    length = None
    for pair in headers:
        # PEP 3333 says tuples; wsgiref and gunicorn take any pair, and so do we.
        if type(pair) is not tuple and type(pair) is not list or len(pair) != 2:
            raise AssertionError("each header must be a (name, value) tuple, not %r" % (pair,))
        name, value = pair
        if type(name) is not str or type(value) is not str:
            raise AssertionError("header names and values must be str: %r" % (pair,))
        is_length = KNOWN_NAMES.get(name)
        if is_length is None:
            is_length = field_name(name)
        if FIELD_VALUE.fullmatch(value) is None:
            raise AssertionError("the value of %s holds a control character (CR, LF, NUL...) or is not a latin-1 native string" % name)
        if is_length and length is None:
            value = value.strip()
            if value.isdigit() and value.isascii():
                length = int(value)
    return length


def encode_head(headers):
    """NAME NUL VALUE NUL ... as bytes (the values were checked to be latin-1)."""
    return "\0".join([part for pair in headers for part in pair]).encode("latin-1")


# Heads found valid already, as (name, value) tuples -> (declared Content-Length, the head encoded): most
# applications send a few heads over and over. Bounded, as the others.
KNOWN_HEADS = {}


def checked_head(headers):
    """check_headers() and encode_head() at once, remembered for a list of tuples seen before."""
    key = None
    if type(headers) is list:
        try:
            key = tuple(headers)
            known = KNOWN_HEADS.get(key)
        except TypeError:
            # A pair that is a list (unhashable): checked every time.
            key = known = None
        if known is not None:
            return known
    known = (check_headers(headers), encode_head(headers))
    if key is not None and len(KNOWN_HEADS) < KNOWN_AT_MOST:
        KNOWN_HEADS[key] = known
    return known


class Response:
    """start_response and write(), with PEP 3333's rules, and the response's frames."""

    __slots__ = ("exchange", "channel", "status", "code", "head", "head_sent", "limit", "sent")

    def __init__(self, exchange):
        self.exchange = exchange
        self.channel = exchange.channel
        self.status = None
        self.code = 0
        # The head, encoded for the HEAD or FILE frame.
        self.head = None
        self.head_sent = False
        # The declared Content-Length: no byte past it is sent (PEP 3333, Handling the Content-Length Header).
        self.limit = None
        self.sent = 0

    def start_response(self, status, headers, exc_info=None):
        if exc_info:
            try:
                if self.head_sent:
                    # Too late to change the response: raise it again; boxwire cuts the response short.
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called a second time without exc_info (PEP 3333)")
        code = status_code(status)
        limit, head = checked_head(headers)
        self.status = status
        self.code = code
        self.head = head
        self.limit = limit
        return self.write

    @property
    def full(self):
        return self.limit is not None and self.sent >= self.limit

    def write(self, data):
        """The write() callable start_response returns: sends now, within credit."""
        if type(data) is not bytes:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError("WSGI bodies are bytes, not %s" % type(data).__name__)
            data = bytes(data)
        if self.status is None:
            raise AssertionError("write() called before start_response (PEP 3333)")
        if self.full and data:
            raise AssertionError("write() past the declared Content-Length of %d (PEP 3333)" % self.limit)
        self.send(data)

    def trim(self, data):
        if self.limit is not None and self.sent + len(data) > self.limit:
            return data[:self.limit - self.sent]
        return data

    def send(self, data):
        """A body chunk: the head with the first non-empty one (PEP 3333), then DATA frames within credit."""
        data = self.trim(data)
        if not data:
            return
        exchange = self.exchange
        if exchange.aborted:
            raise Aborted()
        view = memoryview(data)
        first = not self.head_sent
        while len(view):
            piece = view[:PIECE]
            exchange.spend(len(piece))
            if first:
                first = False
                self.head_sent = True
                self.send_head(bytes(piece), last=False)
            else:
                self.channel.send(DATA, exchange.rid, bytes(piece))
            self.sent += len(piece)
            view = view[len(piece):]

    def send_head(self, body, last):
        head = self.head
        start = HEAD_START.pack(HEAD, self.exchange.rid, HEAD_FIXED.size + len(head) + len(body), 1 if last else 0, self.code, len(head))
        self.channel.send_parts(start + head, body)

    def finish(self, body=b""):
        """Ends the response: the head with the whole body when nothing has gone yet, else the rest and END."""
        if self.status is None:
            raise AssertionError("the application returned without calling start_response (PEP 3333)")
        body = self.trim(body)
        # A body shorter than its Content-Length goes as a stream, so that boxwire sees it end short and cuts the response.
        short = self.limit is not None and self.sent + len(body) < self.limit
        if not self.head_sent and len(body) <= WHOLE and not short:
            self.head_sent = True
            self.sent += len(body)
            self.send_head(body, last=True)
            return
        if not self.head_sent and not body:
            self.head_sent = True
            self.send_head(b"", last=False)
        else:
            self.send(body)
        self.channel.send(END, self.exchange.rid)

    def send_file(self, path, start, end):
        if self.limit is not None:
            end = min(end, start + self.limit)
        head = self.head
        name = os.fsencode(path)
        self.head_sent = True
        self.channel.send(FILE, self.exchange.rid, FILE_FIXED.pack(self.code, start, end, len(name)) + name + head)


class Runner:
    """Reads boxwire's frames and runs the requests.

    With one thread, that thread does both: it reads a request, runs it, and
    while the application waits for body bytes or credit it reads the frames
    that bring them (a request sent ahead meanwhile waits its turn). Nothing
    sits blocked in recv() to be woken by every frame, which on a busy
    machine costs more than the request. With several threads, a reader
    thread feeds them.
    """

    def __init__(self, app, channel, threads, multiprocess, executor):
        self.app = app
        self.executor = executor
        self.channel = channel
        self.threads = threads
        self.multiprocess = multiprocess
        self.exchanges = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi") if threads > 1 else None
        # One thread: requests read while another runs, in order; what their exchanges wait on.
        self.pending = collections.deque()
        self.one_thread = Pump(self)
        # The environ's entries that are the same for every request (PEP 3333), copied into each.
        self.shared = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.multithread": threads > 1,
            "wsgi.multiprocess": multiprocess,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "wsgi.file_wrapper": FileWrapper,
            "wsgiorg.executor": executor,
            "wsgiorg.futures": executor.futures,
        }
        self.closed = False
        # REQUEST frames read so far, and the numbers of those taken back before they were read.
        self.requests = 0
        self.withdrawn = set()

    def serve(self):
        info = {"pid": os.getpid(), "threads": self.threads, "python": sys.version.split()[0]}
        self.channel.send(READY, 0, json.dumps(info).encode("utf-8"))
        try:
            if self.pool is None:
                while not self.closed:
                    if self.pending:
                        self.handle(*self.pending.popleft())
                    else:
                        self.pump()
            else:
                while not self.closed:
                    self.pump()
        except OSError:
            pass
        self.stop()

    def pump(self):
        """Reads the next frames and hands them out; at the end of the socket, every exchange is aborted."""
        if self.closed or not self.channel.read(self.dispatch):
            self.closed = True
            with self.lock:
                for exchange in self.exchanges.values():
                    exchange.abort()

    def dispatch(self, kind, rid, payload):
        """One frame from boxwire; `payload` is only lent (Channel.read): what is kept is copied."""
        if kind == REQUEST:
            credit_bytes, credit_chunks, flags = REQUEST_FIXED.unpack_from(payload)
            cond = self.one_thread if self.pool is None else threading.Condition(threading.Lock())
            exchange = Exchange(rid, self.channel, cond, credit_bytes, credit_chunks, flags & 1)
            with self.lock:
                self.requests += 1
                exchange.number = self.requests
                if exchange.number in self.withdrawn:
                    # Taken back before it was even read.
                    self.withdrawn.discard(exchange.number)
                    return
                self.exchanges[rid] = exchange
            # The variables, decoded now: the payload's bytes are not ours to keep.
            variables = str(payload[REQUEST_FIXED.size:], "latin-1")
            if self.pool is None:
                self.pending.append((exchange, variables))
            else:
                self.pool.submit(self.handle, exchange, variables)
            return
        with self.lock:
            exchange = self.exchanges.get(rid)
        if exchange is None:
            return
        if kind == BODY:
            exchange.add_body(payload)
        elif kind == BODY_END:
            exchange.end_body()
        elif kind == CREDIT:
            exchange.add_credit(*CREDIT_PAIR.unpack_from(payload))
        elif kind == BODY_ERROR:
            (status,) = STATUS.unpack_from(payload)
            exchange.end_body(InputError(status, str(payload[2:], "utf-8", "replace")))
        elif kind == ABORT:
            exchange.abort()

    def watch_withdrawals(self, sock):
        """On its own thread: answers WITHDRAW frames at once, whatever the other threads are doing."""
        channel = Channel(sock)

        def handle(kind, rid, payload):
            if kind == WITHDRAW:
                self.withdraw(rid, NUMBER.unpack_from(payload)[0])
            elif kind == ABORT:
                with self.lock:
                    exchange = self.exchanges.get(rid)
                if exchange is not None:
                    exchange.abort()

        try:
            while channel.read(handle):
                pass
        except OSError:
            return

    def withdraw(self, rid, number):
        """Takes back a request that has not started: it never runs, and boxwire hears WITHDRAWN.

        Said under the lock every request takes to start, so that nothing of
        a request that starts after this one was taken back reaches boxwire
        before WITHDRAWN does.
        """
        with self.lock:
            if number > self.requests:
                self.withdrawn.add(number)
            else:
                exchange = self.exchanges.get(rid)
                if exchange is None or exchange.started or exchange.number != number:
                    return
                exchange.withdrawn = True
                del self.exchanges[rid]
            self.channel.send(WITHDRAWN, rid)

    def stop(self):
        """boxwire has closed its end (or gone): whatever still runs stops at its next read or write,
        and an application that never reads or writes again does not keep the process alive for long."""
        watchdog = threading.Timer(STOP_GRACE, os._exit, args=(0,))
        watchdog.daemon = True
        watchdog.start()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.executor.shutdown()

    def environ(self, exchange, variables):
        """The request's environ: a copy of what every request shares, and the request's own variables and streams."""
        self.executor.expire()
        environ = self.shared.copy()
        fields = iter(variables.split("\0"))
        environ.update(zip(fields, fields))
        if environ.get("HTTPS") == "on":
            environ["wsgi.url_scheme"] = "https"
        length = environ.get("CONTENT_LENGTH")
        environ["wsgi.input"] = Input(exchange, int(length) if length else (None if not exchange.body_done else 0))
        environ["wsgi.errors"] = errors = Errors(self.channel, exchange.rid)
        return environ, errors

    def handle(self, exchange, variables):
        with self.lock:
            if exchange.withdrawn:
                return
            exchange.started = True
        rid = exchange.rid
        errors = None
        response = Response(exchange)
        result = None
        outcome = None
        failure = None
        try:
            if exchange.aborted:
                # Cancelled before it started: the application never hears of it.
                raise Aborted()
            environ, errors = self.environ(exchange, variables)
            result = self.app(environ, response.start_response)
            outcome = self.consume(result, response)
        except BaseException as error:  # noqa: BLE001 - the application's failure is answered, the worker goes on
            failure = error
        try:
            # PEP 3333: close() is always called, whatever happened, before the job is over. (A list has none, and
            # looking for it would raise and catch an AttributeError on every request.)
            close = None if type(result) is list else getattr(result, "close", None)
            if close is not None:
                close()
        except BaseException as error:  # noqa: BLE001
            if failure is None:
                failure = error
            elif errors is not None:
                errors.write("close() failed too:\n" + "".join(traceback.format_exception(type(error), error, error.__traceback__)))
        try:
            if errors is not None:
                errors.flush()
            if failure is not None or exchange.aborted:
                self.fail(exchange, response, failure)
            elif outcome[0] == "file":
                response.send_file(*outcome[1:])
            else:
                response.finish(outcome[1])
        except Aborted:
            self.channel.send(END, rid)
        except BaseException as error:  # noqa: BLE001 - sending failed: the job still ends
            self.fail(exchange, response, error)
        finally:
            with self.lock:
                self.exchanges.pop(rid, None)

    def consume(self, result, response):
        """Runs the body: ("file", path, start, end), or ("body", bytes not yet sent)."""
        if result is None or isinstance(result, (str, bytes, bytearray)):
            raise TypeError("the application must return an iterable of bytes (a list, a generator...), not %s; wrap a single body in a list" % type(result).__name__)
        if not response.head_sent:
            wrapped = file_range(result)
            if wrapped is not None:
                if response.status is None:
                    raise AssertionError("the application returned without calling start_response (PEP 3333)")
                return ("file",) + wrapped
            if type(result) in (list, tuple):
                # The usual small response: the head and the whole body in one frame.
                for chunk in result:
                    if type(chunk) is not bytes:
                        raise TypeError("WSGI applications yield bytes, not %s" % type(chunk).__name__)
                body = b"".join(result)
                if len(body) <= WHOLE:
                    return ("body", body)
        exchange = response.exchange
        for chunk in result:
            if exchange.aborted:
                # The client has gone: no more of the body is asked for (close() is called next).
                raise Aborted()
            if type(chunk) is not bytes:
                raise TypeError("WSGI applications yield bytes, not %s" % type(chunk).__name__)
            if not chunk:
                continue
            if response.status is None:
                raise AssertionError("the application yielded a body before calling start_response (PEP 3333)")
            if not response.head_sent and response.limit is not None and len(chunk) >= response.limit:
                # The whole declared body in the first chunk: it goes with the head, once close() has been called.
                return ("body", chunk)
            response.send(chunk)
            if response.full:
                # PEP 3333: nothing past the declared Content-Length; stop iterating.
                break
        return ("body", b"")

    def fail(self, exchange, response, error):
        if exchange.aborted or isinstance(error, Aborted):
            self.channel.send(END, exchange.rid)
            return
        status = error.status if isinstance(error, InputError) else 500
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        message = message.encode("utf-8", "replace")
        self.channel.send(FAIL, exchange.rid, FAIL_FIXED.pack(status, len(message)) + message + trace.encode("utf-8", "replace"))


def load(spec):
    """MODULE:CALLABLE (an attribute path, or a factory called as NAME()), importable from the working directory and PYTHONPATH."""
    module_name, _, attribute = spec.partition(":")
    target = importlib.import_module(module_name)
    attribute = attribute or "application"
    factory = attribute.endswith("()")
    for part in (attribute[:-2] if factory else attribute).split("."):
        target = getattr(target, part)
    if factory:
        target = target()
    if not callable(target):
        raise TypeError("%s is not callable" % spec)
    return target


def main():
    spec = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    multiprocess = len(sys.argv) > 3 and sys.argv[3] == "1"
    executor_threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    executor_queue = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    lifespan = float(sys.argv[6]) if len(sys.argv) > 6 else 30.0
    # The application's modules come from its working directory (then PYTHONPATH), not from this script's.
    sys.path[0] = os.getcwd()
    channel = Channel(socket.socket(fileno=3))
    withdrawals = socket.socket(fileno=4)
    # Neither socket is for the programs the application may start.
    os.set_inheritable(3, False)
    os.set_inheritable(4, False)
    try:
        app = load(spec)
    except BaseException:  # noqa: BLE001 - any failure to load is reported whole
        channel.send(FATAL, 0, traceback.format_exc().encode("utf-8", "replace"))
        return 3
    executor = Executor(executor_threads, executor_queue, lifespan, Errors(channel, 0))
    runner = Runner(app, channel, threads, multiprocess, executor)
    threading.Thread(target=runner.watch_withdrawals, args=(withdrawals,), name="withdrawals", daemon=True).start()
    runner.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
