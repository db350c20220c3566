#!/bin/sh
# Redirects. ?client: a Location with an absolute URL, which the server sends
# to the client as a 302. Otherwise a Location with a local path: the server
# answers with what that path gives (hello.sh, next to this script), and the
# client never sees a redirect (RFC 3875 §6.2.2).
case "$QUERY_STRING" in
  client) printf 'Location: https://example.org/\n\n' ;;
  *) printf 'Location: %s/hello.sh\n\n' "${SCRIPT_NAME%/*}" ;;
esac
