# examples/python/report.py: start a report in the background, and ask later how it is doing.
#
#     boxwire --wsgi /=python:report:application --python-cwd examples/python
import time


def application(environ, start_response):
    executor, futures = environ["wsgiorg.executor"], environ["wsgiorg.futures"]
    if environ["PATH_INFO"] == "/report":
        executor.submit(build_report, environ["QUERY_STRING"]).remember("report")
        start_response("202 Accepted", [("Content-Type", "text/plain")])
        return [b"building\n"]
    report = futures.get("report")
    state = b"none" if report is None else (b"done: " + report.result()) if report.done() else b"building"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [state + b"\n"]


def build_report(query):
    time.sleep(0.2)  # the slow part
    return query.upper().encode("latin-1")
