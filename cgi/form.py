#!/usr/bin/env python3
"""A form, and an echo of what it posts (application/x-www-form-urlencoded).

GET shows the form; POST reads exactly CONTENT_LENGTH bytes of body, as CGI
programs do, and shows each field, HTML-escaped.
"""
import html
import os
import sys
from urllib.parse import parse_qsl

method = os.environ.get("REQUEST_METHOD", "GET")
out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>Form echo</title></head><body>']
if method == "POST":
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    body = sys.stdin.buffer.read(length).decode("utf-8", "replace")
    fields = parse_qsl(body, keep_blank_values=True)
    out.append(f"<h1>You posted {len(fields)} field{'s' if len(fields) != 1 else ''}</h1><dl>")
    for name, value in fields:
        out.append(f"<dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd>")
    out.append("</dl>")
out.append('<form method="post"><p><label>Name <input name="name"></label></p>')
out.append('<p><label>Message <textarea name="message"></textarea></label></p><p><button>Send</button></p></form>')
out.append("</body></html>")
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\n\n" + "\n".join(out).encode("utf-8") + b"\n")
