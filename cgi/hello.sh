#!/bin/sh
# The smallest CGI script: a header section, a blank line, then the body.
printf 'Content-Type: text/plain; charset=utf-8\n\nHello, world! (sh)\n'
