#!/bin/sh
# An nph- ("non-parsed headers") script writes the whole HTTP response itself,
# status line included; the server passes its bytes on unchanged and closes
# the connection after them.
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n'
printf 'Hello from an nph- script: every byte of this response was written by %s.\n' "${SCRIPT_NAME##*/}"
