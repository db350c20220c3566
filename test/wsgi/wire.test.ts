/**
 * What crosses between the pool and its threads in compact form: a job as a
 * flat array (environ as name, value pairs), a head as a flat array (header
 * fields as pairs). Each reads back as what was sent.
 */
import { describe, expect, it } from 'vitest';
import { fromWire, jobFromWire, toWire, wireJob, type FromThread, type JobStart } from '../../components/wsgi/messages.js';

describe('a job on the wire', () => {
  // As wsgiEnviron makes it: the variables every request has first, in its order, then the others.
  const full = {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '/app',
    PATH_INFO: '/x',
    QUERY_STRING: 'a=1',
    REQUEST_URI: '/app/x?a=1',
    SERVER_NAME: 'example.com',
    SERVER_PORT: '8080',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_SOFTWARE: 'boxwire',
    REMOTE_ADDR: '127.0.0.1',
    REMOTE_PORT: '5000',
    CONTENT_TYPE: 'text/plain',
    HTTP_HOST: 'example.com',
    HTTP_X_EMPTY: '',
  };
  const environs: [string, Record<string, string>][] = [
    ['as wsgiEnviron makes it', full],
    ['with some of those variables missing', { REQUEST_METHOD: 'GET', PATH_INFO: '/x', QUERY_STRING: 'a=1', HTTP_HOST: 'example.com' }],
    ['with them in another order', { SCRIPT_NAME: '', REQUEST_METHOD: 'POST', HTTP_A: 'b', PATH_INFO: '/' }],
    ['empty', {}],
  ];

  it.each(environs)('environ %s: the same variables, in the same order', (_, environ) => {
    const job: JobStart = { type: 'job', id: 41, app: 2, environ, hasBody: true };
    const back = jobFromWire(structuredClone(wireJob(job, 0)));
    expect(back).toEqual({ type: 'job', id: 41, app: 2, environ, hasBody: true, slot: undefined });
    expect(Object.keys(back.environ)).toEqual(Object.keys(environ));
  });

  it('names the variables every request has only once, in the code', () => {
    const wire = wireJob({ type: 'job', id: 1, app: 0, environ: full, hasBody: false }, 0);
    expect(wire.slice(0, 5)).toEqual([1, 0, false, 0, 11]);
    expect(wire.slice(5)).toEqual([
      ...Object.values(full).slice(0, 11),
      'CONTENT_TYPE',
      'text/plain',
      'HTTP_HOST',
      'example.com',
      'HTTP_X_EMPTY',
      '',
    ]);
  });

  it('carries the slot of a job offered ahead', () => {
    expect(jobFromWire(wireJob({ type: 'job', id: 7, app: 1, environ: full, hasBody: false }, 3)).slot).toBe(3);
  });
});

describe('a thread message on the wire', () => {
  const heads: [string, FromThread][] = [
    [
      'a whole body',
      {
        type: 'head',
        id: 7,
        status: 200,
        headers: [
          ['Content-Type', 'text/plain'],
          ['Set-Cookie', 'a=1'],
          ['Set-Cookie', 'b=2'],
        ],
        body: 'hello',
        last: true,
      },
    ],
    ['bytes, more to come', { type: 'head', id: 8, status: 201, headers: [], body: new Uint8Array([1, 2, 3]), last: false }],
    ['no body', { type: 'head', id: 9, status: 204, headers: [['X-A', '']], last: true }],
  ];

  it.each(heads)('a head: %s, as a flat array and back', (_, head) => {
    const wire = toWire(head);
    expect(Array.isArray(wire)).toBe(true);
    expect(fromWire(structuredClone(wire))).toEqual(head);
  });

  it.each<[string, FromThread]>([
    ['a head naming a file', { type: 'head', id: 1, status: 200, headers: [], file: { path: '/tmp/f', start: 0, end: 9 }, last: true }],
    ['a chunk', { type: 'chunk', id: 1, chunk: 'x', last: false }],
    ['the end', { type: 'end', id: 1 }],
    ['a failure', { type: 'failed', id: 1, status: 500, message: 'boom' }],
  ])('%s goes as it is', (_, message) => {
    expect(toWire(message)).toBe(message);
    expect(fromWire(message)).toBe(message);
  });
});
