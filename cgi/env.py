#!/usr/bin/env python3
"""Shows the environment the server gave this script, as an HTML table.

Every name and value is HTML-escaped: request headers arrive here as HTTP_*
variables, and a client chooses what they say.
"""
import html
import os
import sys

rows = "\n".join(
    f"<tr><th>{html.escape(name)}</th><td><code>{html.escape(value)}</code></td></tr>"
    for name, value in sorted(os.environ.items())
)
page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CGI environment</title></head>
<body><h1>CGI environment</h1>
<table>
{rows}
</table></body></html>
"""
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\n\n" + page.encode("utf-8", "replace"))
