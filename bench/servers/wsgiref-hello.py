"""wsgiref.simple_server serving bench/apps/hello.py, quietly, on a free port it prints."""
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "apps"))
import hello  # noqa: E402


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, hello.application, handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
