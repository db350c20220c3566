#!/usr/bin/env perl
# A form, and an echo of what it posts (application/x-www-form-urlencoded).
# POST reads exactly CONTENT_LENGTH bytes; each field is shown HTML-escaped.
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

sub url_decode {
    my ($text) = @_;
    $text =~ tr/+/ /;
    $text =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    return $text;
}

print "Content-Type: text/html; charset=utf-8\n\n";
print "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Form echo</title></head><body>\n";
if (($ENV{REQUEST_METHOD} // 'GET') eq 'POST') {
    my $body = '';
    read(STDIN, $body, $ENV{CONTENT_LENGTH} // 0);
    my @pairs = grep { length } split /[&;]/, $body;
    printf "<h1>You posted %d field%s (perl)</h1><dl>\n", scalar @pairs, @pairs == 1 ? '' : 's';
    for my $pair (@pairs) {
        my ($name, $value) = split /=/, $pair, 2;
        printf "<dt>%s</dt><dd>%s</dd>\n", escape_html(url_decode($name)), escape_html(url_decode($value // ''));
    }
    print "</dl>\n";
}
print "<form method=\"post\"><p><label>Name <input name=\"name\"></label></p>\n";
print "<p><label>Message <textarea name=\"message\"></textarea></label></p><p><button>Send</button></p></form>\n";
print "</body></html>\n";
