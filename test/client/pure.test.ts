/**
 * Table tests for the client's pure parts: naming rules, path filling (and
 * the attacks on it), argument checking and encoding, signing, basic auth,
 * description and hook checks.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  argumentPairs,
  basicAuth,
  bearerAuth,
  camelJoin,
  checkArguments,
  checkDescription,
  defineApi,
  fillPath,
  keepNamespace,
  pathVariables,
  placeArguments,
  redactUrl,
  signature,
  signer,
  signingText,
  snakeJoin,
  type ParamSpec,
  type SigningOptions,
} from '../../src/client/index.js';

describe('naming rules', () => {
  it.each([
    ['email', 'email', 'email'],
    ['SMS/Messages', 'SMSMessages', 'sms_messages'],
    ['artists/{artist_id}/calendar', 'artistsCalendar', 'artists_calendar'],
    ['/user-groups/{id}/members.list', 'userGroupsMembersList', 'user_groups_members_list'],
    ['a//b__c', 'aBC', 'a_b_c'],
    ['{id}/x', 'x', 'x'],
  ])('%s -> %s (camelJoin), %s (snakeJoin)', (namespace, camel, snake) => {
    expect(camelJoin()(namespace)).toBe(camel);
    expect(snakeJoin()(namespace)).toBe(snake);
    expect(keepNamespace(namespace)).toBe(namespace);
  });

  it('takes delimiters of your choosing, one character each', () => {
    expect(camelJoin(['/'])('user-groups/x')).toBe('user-groupsX');
    expect(() => camelJoin(['::'])).toThrow(/one character/);
  });
});

describe('path variables', () => {
  it('are found in order, and malformed templates are refused', () => {
    expect(pathVariables('artists/{artist_id}/calendar/{page}')).toEqual(['artist_id', 'page']);
    expect(pathVariables('email')).toEqual([]);
    for (const [namespace, message] of [
      ['a/{b', /unbalanced/],
      ['a/b}', /unbalanced/],
      ['a/{b c}', /not a valid path variable/],
      ['a/{}', /not a valid path variable/],
      ['a/{b}/{b}', /appears twice/],
      ['a?x=1', /query/],
      ['a#x', /query/],
    ] as const) {
      expect(() => pathVariables(namespace), namespace).toThrow(message);
    }
  });

  it.each([
    ['258948', 'artists/258948/calendar'],
    [42, 'artists/42/calendar'],
    ['a b', 'artists/a%20b/calendar'],
    ['é', 'artists/%C3%A9/calendar'],
    // Each of these could change the URL's shape if it were not encoded as one segment.
    ['../admin', 'artists/..%2Fadmin/calendar'],
    ['a/b', 'artists/a%2Fb/calendar'],
    ['a?b=1', 'artists/a%3Fb%3D1/calendar'],
    ['a#b', 'artists/a%23b/calendar'],
    ['%2e%2e', 'artists/%252e%252e/calendar'],
    ['a\r\nX-Injected: 1', 'artists/a%0D%0AX-Injected%3A%201/calendar'],
    ['...', 'artists/.../calendar'],
  ])('fill %j', (value, path) => {
    expect(fillPath('artists/{artist_id}/calendar', { artist_id: value })).toBe(path);
    // Whatever the value, the URL stays below the namespace.
    expect(new URL(`http://h/v1/${path}`).pathname).toMatch(/^\/v1\/artists\/[^/]+\/calendar$/);
  });

  it.each([
    ['..', /must not be "\.\."/],
    ['.', /must not be "\."/],
    ['', /must not be ""/],
    [undefined, /missing path variable "artist_id"/],
    [null, /string or a finite number, got null/],
    [true, /got boolean true/],
    [Number.NaN, /got number NaN/],
    [Infinity, /got number Infinity/],
    [['a'], /got an array/],
    ['\uD800', /lone surrogate/],
  ])('refuse %j', (value, message) => {
    expect(() => fillPath('artists/{artist_id}/calendar', { artist_id: value })).toThrow(message);
  });

  it('drops a leading slash: the path is relative to the base URL', () => {
    expect(fillPath('/users/{id}', { id: 1 })).toBe('users/1');
  });
});

describe('arguments', () => {
  const params: readonly ParamSpec[] = [
    ['q', 'string'],
    ['page', 'integer', 'optional'],
    ['ratio', 'number', 'optional'],
    ['on', 'boolean', 'optional'],
    ['tags', 'string[]', 'optional', 'query'],
    ['scores', 'number[]', 'optional'],
    ['extra', 'json', 'optional'],
  ];

  it('splits path variables from the rest and leaves out undefined', () => {
    expect(checkArguments({ id: 7, q: 'x', page: undefined, on: false }, params, ['id'])).toEqual({
      variables: { id: 7 },
      rest: { q: 'x', on: false },
    });
    expect(checkArguments(undefined, [['a', 'string', 'optional']], [])).toEqual({ variables: {}, rest: {} });
  });

  it.each([
    [{}, /missing required parameter "q" \(string\)/],
    [{ q: 'x', nope: 1 }, /unknown parameter "nope" \(expected "q", "page"/],
    [{ q: 1 }, /"q" must be of type string, got number 1/],
    [{ q: 'x', page: 1.5 }, /"page" must be of type integer, got number 1.5/],
    [{ q: 'x', page: 2 ** 53 }, /"page" must be of type integer/],
    [{ q: 'x', ratio: Number.NaN }, /"ratio" must be of type number, got number NaN/],
    [{ q: 'x', on: 'true' }, /"on" must be of type boolean, got string/],
    [{ q: 'x', tags: 'a' }, /"tags" must be of type string\[\]/],
    [{ q: 'x', tags: ['a', 1] }, /"tags" must be of type string\[\]/],
    [{ q: 'x', scores: [1, Infinity] }, /"scores" must be of type number\[\]/],
    [{ q: 'x', extra: { f: () => 1 } }, /"extra" must be of type json/],
    [{ q: 'x', extra: new Date() }, /"extra" must be of type json/],
    [{ q: '\uDC00' }, /"q" is not well-formed Unicode/],
    [{ q: 'x', extra: { '\uD800': 1 } }, /"extra" is not well-formed Unicode/],
    ['q=x', /must be an object, got string/],
    [[1], /must be an object, got an array/],
  ])('refuse %j', (args, message) => {
    expect(() => checkArguments(args, params, [])).toThrow(message);
  });

  it('refuses a cycle or a bigint in a json argument', () => {
    expect(() => checkArguments({ q: 'x', extra: 10n }, params, [])).toThrow(/must be of type json/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => checkArguments({ q: 'x', extra: cyclic }, params, [])).toThrow(/must be of type json/);
  });

  it('refuses a path variable of the wrong declared type', () => {
    expect(() => checkArguments({ id: '7' }, [['id', 'integer']], ['id'])).toThrow(
      /path variable "id" must be of type integer, got string/,
    );
    expect(() => checkArguments({}, [], ['id'])).toThrow(/missing required path variable "id"/);
  });

  it.each([
    [
      { a: 'x y', b: 2, c: true, d: undefined },
      [
        ['a', 'x y'],
        ['b', '2'],
        ['c', 'true'],
      ],
    ],
    [
      { tags: ['a', 'b'], n: [1, 2] },
      [
        ['tags', 'a'],
        ['tags', 'b'],
        ['n', '1'],
        ['n', '2'],
      ],
    ],
    [
      { o: { x: [1, { y: null }] }, z: null, nested: [[1]] },
      [
        ['o', '{"x":[1,{"y":null}]}'],
        ['z', 'null'],
        ['nested', '[[1]]'],
      ],
    ],
  ])('argumentPairs(%j)', (args, pairs) => expect(argumentPairs(args)).toEqual(pairs));

  it('reads flags from the flags only: a parameter may be named "query" or "optional"', () => {
    const named: readonly ParamSpec[] = [
      ['query', 'string'],
      ['optional', 'string'],
    ];
    expect(placeArguments({ query: 'q', optional: 'o' }, 'post', named)).toEqual({ query: {}, body: { query: 'q', optional: 'o' } });
    expect(() => checkArguments({ query: 'q' }, named, [])).toThrow(/missing required parameter "optional"/);
  });

  it('places arguments: query for get and delete, body for the rest unless flagged query', () => {
    const params: readonly ParamSpec[] = [
      ['a', 'string'],
      ['k', 'string', 'query'],
    ];
    expect(placeArguments({ a: '1', k: '2', sig: '3' }, 'get', params)).toEqual({ query: { a: '1', k: '2', sig: '3' }, body: undefined });
    expect(placeArguments({ a: '1', k: '2' }, 'delete', params)).toEqual({ query: { a: '1', k: '2' }, body: undefined });
    for (const method of ['post', 'put', 'patch'] as const) {
      expect(placeArguments({ a: '1', k: '2', sig: '3', u: undefined }, method, params)).toEqual({
        query: { k: '2' },
        body: { a: '1', sig: '3' },
      });
    }
  });
});

describe('signing', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');

  it.each<[string, Record<string, unknown>, Omit<SigningOptions, 'secret'>, string]>([
    ['sorted pairs, secret appended', { b: '2', a: '1', c: 'x y' }, {}, 'a=1&b=2&c=x y'],
    ['sorted values', { b: 'zeta', a: 'beta', c: 'alpha' }, { over: 'values' }, 'alpha&beta&zeta'],
    ['arrays as repeated keys, sorted by key then value', { t: ['b', 'a'], s: 1 }, {}, 's=1&t=a&t=b'],
    ['the signature argument and exclusions are left out', { a: '1', signature: 'old', format: 'json' }, { exclude: ['format'] }, 'a=1'],
    ['byte order, not locale order', { b: '1', B: '2', a: '3' }, {}, 'B=2&a=3&b=1'],
    [
      'Last.fm style: no separators',
      { method: 'auth.getSession', api_key: 'xxxxxxxx', token: 'yyyyyy' },
      { assign: '', separator: '' },
      'api_keyxxxxxxxxmethodauth.getSessiontokenyyyyyy',
    ],
  ])('%s', (_, args, options, text) => {
    expect(signingText(args as never, { over: 'pairs', param: 'signature', assign: '=', separator: '&', exclude: [], ...options })).toBe(
      text,
    );
    expect(signature(args as never, { secret: 's3cret', ...options })).toBe(sha256(`${text}s3cret`));
  });

  it('puts the secret at the end or the start, with the hash chosen: published digests', () => {
    // FIPS 180-2 and RFC 1321 test vectors: SHA-256("abc"), MD5("abc").
    expect(signature({ v: 'ab' }, { secret: 'c', over: 'values' })).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(signature({ v: 'bc' }, { secret: 'a', over: 'values', secretAt: 'start' })).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(signature({ v: 'ab' }, { secret: 'c', over: 'values', hash: 'md5' })).toBe('900150983cd24fb0d6963f7d28e17f72');
    // RFC 4231 §4.3, test case 2: HMAC-SHA-256 with key "Jefe".
    expect(signature({ v: 'what do ya want for nothing?' }, { secret: 'Jefe', over: 'values', secretAt: 'hmac' })).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(signature({ a: 1 }, { secret: 'k', secretAt: 'hmac', hash: 'sha512', digest: 'base64url' })).toBe(
      createHmac('sha512', 'k').update('a=1').digest('base64url'),
    );
  });

  it('Last.fm: md5 over the sorted pairs with nothing between, secret appended', () => {
    const sign = signer({ secret: 'ilovecher', hash: 'md5', assign: '', separator: '', param: 'api_sig', exclude: ['format', 'callback'] });
    const signed = sign({ method: 'auth.getSession', api_key: 'xxxxxxxx', token: 'yyyyyy', format: 'json' });
    expect(signed).toEqual({
      method: 'auth.getSession',
      api_key: 'xxxxxxxx',
      token: 'yyyyyy',
      format: 'json',
      api_sig: md5('api_keyxxxxxxxxmethodauth.getSessiontokenyyyyyyilovecher'),
    });
  });

  it('hashes UTF-8', () => {
    expect(signature({ n: 'é' }, { secret: 's' })).toBe(createHash('sha256').update(Buffer.from('n=\u00e9s', 'utf8')).digest('hex'));
  });

  it.each([
    [{ secret: '' }, /secret must be a non-empty string/],
    [{ secret: 's', hash: 'sha257' }, /hash "sha257" is not an algorithm/],
    [{ secret: 's', over: 'keys' }, /over must be 'pairs' or 'values'/],
    [{ secret: 's', secretAt: 'middle' }, /secretAt must be 'end', 'start' or 'hmac'/],
    [{ secret: 's', digest: 'binary' }, /digest must be one of/],
    [{ secret: 's', param: '' }, /param must be a non-empty string/],
  ])('refuses options %j when made', (options, message) => {
    expect(() => signer(options as SigningOptions)).toThrow(message);
  });
});

describe('auth headers', () => {
  it('basic auth as RFC 7617 writes it, in UTF-8', () => {
    expect(basicAuth('Aladdin', 'open sesame')).toEqual({ Authorization: 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==' });
    expect(basicAuth('test', '123\u00a3')).toEqual({ Authorization: 'Basic dGVzdDoxMjPCow==' });
    expect(basicAuth('u', 'pa:ss')).toEqual({ Authorization: `Basic ${Buffer.from('u:pa:ss').toString('base64')}` });
  });

  it.each([
    ['a:b', 'p', /must not contain ":"/],
    ['a', 'p\r\nX-Evil: 1', /control characters/],
    ['a\x00', 'p', /control characters/],
  ])('refuses basicAuth(%j, %j)', (user, password, message) => expect(() => basicAuth(user, password)).toThrow(message));

  it('bearer tokens must be b64tokens', () => {
    expect(bearerAuth('abc.DEF-123_~+/==')).toEqual({ Authorization: 'Bearer abc.DEF-123_~+/==' });
    expect(() => bearerAuth('a b')).toThrow(/b64token/);
    expect(() => bearerAuth('a\r\nb')).toThrow(/b64token/);
  });
});

describe('checking a description and hooks', () => {
  it.each([
    [null, /an object of namespaces/],
    [{ '': { get: [] } }, /must not be empty/],
    [{ a: [] }, /expected an object of methods/],
    [{ a: { fetch: [] } }, /unknown method "fetch"/],
    [{ a: { get: {} } }, /expected a list of parameters/],
    [{ a: { get: ['x'] } }, /must be \[name, type, \.\.\.flags\]/],
    [{ a: { get: [['', 'string']] } }, /must be \[name, type/],
    [{ a: { get: [['x', 'strnig']] } }, /"x" has unknown type "strnig"/],
    [{ a: { get: [['x', 'string', 'optinal']] } }, /"x" has unknown flag "optinal"/],
    [
      {
        a: {
          get: [
            ['x', 'string'],
            ['x', 'number'],
          ],
        },
      },
      /"x" is listed twice/,
    ],
    [{ 'a/{id}': { get: [['id', 'string', 'optional']] } }, /"id" is a path variable: it is always required/],
    [{ 'a/{id}': { get: [['id', 'boolean']] } }, /path variable "id" must be of type string, number, integer/],
    [{ 'a/{id': { get: [] } }, /unbalanced/],
  ])('refuses %j', (description, message) => {
    expect(() => checkDescription(description)).toThrow(message);
    expect(() => defineApi(description as never, { baseUrl: 'http://x/' })).toThrow(TypeError);
  });

  it.each([
    [{}, /baseUrl must be an absolute URL/],
    [{ baseUrl: 'example.com' }, /baseUrl must be an absolute URL/],
    [{ baseUrl: 'ftp://x/' }, /must be http or https/],
    [{ baseUrl: 'http://u:p@x/' }, /must not carry credentials; use headers: basicAuth/],
    [{ baseUrl: 'http://x/?k=1' }, /must not have a query/],
    [{ baseUrl: 'http://x/', timeout: 0 }, /timeout must be a number of milliseconds/],
    [{ baseUrl: 'http://x/', timeout: 2 ** 31 }, /timeout must be a number of milliseconds/],
    [{ baseUrl: 'http://x/', maxResponseBytes: -1 }, /maxResponseBytes/],
    [{ baseUrl: 'http://x/', body: 'xml' }, /body must be 'form' or 'json'/],
    [{ baseUrl: 'http://x/', redirect: 'maybe' }, /redirect must be/],
    [{ baseUrl: 'http://x/', decode: 'json' }, /decode must be a function/],
    [{ baseUrl: 'http://x/', headers: { 'Bad Name': 'x' } }, /hooks.headers/],
  ])('refuses hooks %j', (hooks, message) => {
    expect(() => defineApi({ a: { get: [] } }, hooks as never)).toThrow(message);
  });

  it('refuses two namespaces with one name, and reserved names', () => {
    expect(() => defineApi({ users: { get: [] }, 'users/{id}': { get: [] } }, { baseUrl: 'http://x/' })).toThrow(
      /namespaces "users" and "users\/\{id\}" are both named "users"/,
    );
    expect(() =>
      defineApi({ users: { get: [] }, 'users/{id}': { get: [] } }, { baseUrl: 'http://x/', naming: keepNamespace }),
    ).not.toThrow();
    expect(() => defineApi({ then: { get: [] } }, { baseUrl: 'http://x/' })).toThrow(/cannot be named "then"/);
    expect(() => defineApi({ '{id}': { get: [] } }, { baseUrl: 'http://x/' })).toThrow(/gives namespace "\{id\}" no name/);
  });

  it('builds a frozen client of plain functions, and no promise-like', async () => {
    const api = defineApi({ 'SMS/Messages': { get: [], post: [] } }, { baseUrl: 'http://x/' });
    expect(Object.keys(api)).toEqual(['SMSMessages']);
    expect(Object.keys(api.SMSMessages)).toEqual(['get', 'post']);
    expect(Object.isFrozen(api) && Object.isFrozen(api.SMSMessages)).toBe(true);
    expect(await Promise.resolve(api)).toBe(api);
  });
});

describe('errors', () => {
  it('name the call, and show the URL without query or credentials', () => {
    const error = new ApiError(
      'timeout',
      { name: 'artistsCalendar', method: 'get', namespace: 'artists/{artist_id}/calendar' },
      'no complete response within 50 ms',
      {
        url: 'http://u:p@h:8/artists/1/calendar?apikey=SECRET#x',
      },
    );
    expect(error.message).toBe('GET artistsCalendar (http://h:8/artists/1/calendar): no complete response within 50 ms');
    expect(error.kind).toBe('timeout');
    expect(error.label).toBe('GET artistsCalendar');
    expect(redactUrl('nonsense')).toBe('(invalid URL)');
  });
});
