import { describe, expect, it } from 'vitest';
import { parseListen } from '../src/cli/listen-spec.js';

describe('--listen values', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080, secure: false }],
    ['localhost:0', { host: 'localhost', port: 0, secure: false }],
    ['http://0.0.0.0:80', { host: '0.0.0.0', port: 80, secure: false }],
    ['https://127.0.0.1:8443', { host: '127.0.0.1', port: 8443, secure: true }],
    ['HTTPS://example.com:443/', { host: 'example.com', port: 443, secure: true }],
    ['[::1]:8443', { host: '::1', port: 8443, secure: false }],
    ['https://[::]:443', { host: '::', port: 443, secure: true }],
    ['[fe80::1%eth0]:80', { host: 'fe80::1%eth0', port: 80, secure: false }],
  ])('%s', (value, expected) => expect(parseListen(value)).toEqual(expected));

  it.each([
    ['8080', /HOST:PORT/],
    ['127.0.0.1', /HOST:PORT/],
    ['::1:8080', /HOST:PORT|brackets/],
    ['[127.0.0.1]:80', /not an IPv6 address/],
    ['127.0.0.1:99999', /out of range/],
    ['ftp://a:1', /HOST:PORT/],
    ['a:b', /HOST:PORT/],
  ])('refuses %s', (value, message) => expect(() => parseListen(value)).toThrow(message));
});
