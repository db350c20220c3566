/**
 * What crosses between the pool and its threads in compact form: a job as a
 * flat array (environ as name, value pairs), a head as a flat array (header
 * fields as pairs). Each reads back as what was sent.
 */
import { describe, expect, it } from 'vitest';
import { fromWire, jobFromWire, toWire, wireJob, type FromThread, type JobStart } from '../../components/wsgi/messages.js';

describe('a job on the wire', () => {
  const environ = { REQUEST_METHOD: 'GET', PATH_INFO: '/x', QUERY_STRING: 'a=1', HTTP_HOST: 'example.com', HTTP_X_EMPTY: '' };

  it.each([
    ['run at once', 0, undefined],
    ['offered ahead in slot 3', 3, 3],
  ])('%s', (_, slot, expected) => {
    const job: JobStart = { type: 'job', id: 41, app: 2, environ, hasBody: true };
    const back = jobFromWire(structuredClone(wireJob(job, slot)));
    expect(back).toEqual({ type: 'job', id: 41, app: 2, environ, hasBody: true, slot: expected });
    // The same names, in the same order.
    expect(Object.keys(back.environ)).toEqual(Object.keys(environ));
  });
});

describe('a thread message on the wire', () => {
  const heads: [string, FromThread][] = [
    ['a whole body', { type: 'head', id: 7, status: 200, headers: [['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']], body: 'hello', last: true }],
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
