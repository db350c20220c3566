#!/usr/bin/env python3
"""Streams lines slowly: the client sees each one as it is written.

?n=LINES&delay=SECONDS (default 10 lines, 0.5 s apart; at most 100 and 5 s).
"""
import os
import sys
import time
from urllib.parse import parse_qs

query = parse_qs(os.environ.get("QUERY_STRING", ""))


def number(name, default, most, kind):
    try:
        return min(kind(query[name][0]), most)
    except (KeyError, ValueError):
        return default


lines = number("n", 10, 100, int)
delay = number("delay", 0.5, 5.0, float)
sys.stdout.write("Content-Type: text/plain; charset=utf-8\n\n")
sys.stdout.flush()
for i in range(1, lines + 1):
    sys.stdout.write(f"line {i} of {lines}\n")
    sys.stdout.flush()
    if i < lines:
        time.sleep(delay)
