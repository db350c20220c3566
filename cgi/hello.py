#!/usr/bin/env python3
"""The smallest CGI script in Python: a header section, a blank line, the body."""
import sys

sys.stdout.write("Content-Type: text/plain; charset=utf-8\n\nHello, world! (python3)\n")
