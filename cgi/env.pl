#!/usr/bin/env perl
# Shows the environment the server gave this script, as an HTML table.
# Every name and value is HTML-escaped: a client chooses what HTTP_* say.
use strict;
use warnings;

sub escape_html {
    my ($text) = @_;
    $text =~ s/&/&amp;/g;
    $text =~ s/</&lt;/g;
    $text =~ s/>/&gt;/g;
    $text =~ s/"/&quot;/g;
    $text =~ s/'/&#39;/g;
    return $text;
}

print "Content-Type: text/html; charset=utf-8\n\n";
print "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>CGI environment</title></head>\n";
print "<body><h1>CGI environment (perl)</h1>\n<table>\n";
for my $name (sort keys %ENV) {
    printf "<tr><th>%s</th><td><code>%s</code></td></tr>\n", escape_html($name), escape_html($ENV{$name});
}
print "</table></body></html>\n";
