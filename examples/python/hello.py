# examples/python/hello.py: a plain WSGI application, standard library only.
#
#     boxwire --wsgi /hello/=python:hello:application --python-cwd examples/python
import json


def application(environ, start_response):
    if environ["PATH_INFO"] == "/echo" and environ["REQUEST_METHOD"] == "POST":
        # wsgi.input ends where the body does (CONTENT_LENGTH, or a chunked body's end).
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
        return [body]
    # Native strings are bytes as latin-1: the path's characters are its UTF-8 bytes.
    path = environ["SCRIPT_NAME"] + environ["PATH_INFO"]
    body = json.dumps({"hello": path.encode("latin-1").decode("utf-8"), "query": environ["QUERY_STRING"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
