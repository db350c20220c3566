#!/usr/bin/env perl
# The smallest CGI script in Perl: a header section, a blank line, the body.
use strict;
use warnings;

print "Content-Type: text/plain; charset=utf-8\n\nHello, world! (perl)\n";
