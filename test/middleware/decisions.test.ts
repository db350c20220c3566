/**
 * The pure decisions behind the built-in stages, as tables: CORS, token
 * buckets and client keys, redirect and rewrite rules, host patterns, the
 * SPA fallback, and the fields a stage puts on a response.
 */
import { describe, expect, it } from 'vitest';
import { corsDecision, originAllowed, originMatcher, type CorsPolicy } from '../../src/http/cors.js';
import { HeaderMap } from '../../src/http/headers.js';
import { hostPatternMatches, hostPatternOrder, isHostPattern } from '../../src/http/host-pattern.js';
import { respond } from '../../src/http/messages.js';
import { applyResponseFields, withResponseFields } from '../../src/http/response-fields.js';
import { compileRule, redirectLocation, rewritePath } from '../../src/http/rewrite-rule.js';
import { takesAppShell } from '../../src/http/spa-fallback.js';
import { fakeRequest } from '../helpers/requests.js';
import { ClientBuckets, clientKey, parseRateSpec, retryAfterSeconds } from '../../src/http/token-bucket.js';

const policy = (over: Partial<CorsPolicy> = {}): CorsPolicy => ({
  origins: ['https://app.example.com', 'https://*.example.org', 'null'],
  credentials: false,
  methods: ['GET', 'POST'],
  allowHeaders: '*',
  exposeHeaders: [],
  maxAge: 600,
  ...over,
});
const decide = (p: CorsPolicy, r: { method?: string; origin?: string; requestMethod?: string; requestHeaders?: string }) =>
  corsDecision(p, originMatcher(p.origins), {
    method: r.method ?? 'GET',
    origin: r.origin,
    requestMethod: r.requestMethod,
    requestHeaders: r.requestHeaders,
  });

describe('CORS', () => {
  it.each([
    ['https://app.example.com', true],
    ['HTTPS://APP.EXAMPLE.COM', true],
    ['https://app.example.com:443', false],
    ['http://app.example.com', false],
    ['https://evil.com', false],
    ['https://app.example.com.evil.com', false],
    ['https://a.example.org', true],
    ['https://a.b.example.org', true],
    ['https://example.org', false],
    ['https://evil.com/.example.org', false],
    ['https://x@a.example.org', false],
    ['null', true],
  ])('origin %s allowed: %s', (origin, allowed) => expect(originAllowed(originMatcher(policy().origins), origin)).toBe(allowed));

  it('refuses origins that are not origins', () => {
    for (const bad of ['app.example.com', 'https://app.example.com/', 'ftp://x', 'https://*', '*.example.com'])
      expect(() => originMatcher([bad])).toThrow(/not an origin/);
  });

  it('an actual request from an allowed origin gets its own origin back, and Vary: Origin', () => {
    expect(decide(policy({ credentials: true, exposeHeaders: ['X-Total'] }), { origin: 'https://app.example.com' })).toEqual({
      type: 'pass',
      fields: [
        ['Access-Control-Allow-Origin', 'https://app.example.com'],
        ['Access-Control-Allow-Credentials', 'true'],
        ['Access-Control-Expose-Headers', 'X-Total'],
        ['Vary', 'Origin'],
      ],
    });
  });

  it('no Origin, or an origin not allowed: no CORS fields, but Vary: Origin all the same (unless any origin is allowed)', () => {
    expect(decide(policy(), {})).toEqual({ type: 'pass', fields: [['Vary', 'Origin']] });
    expect(decide(policy(), { origin: 'https://evil.com' })).toEqual({ type: 'pass', fields: [['Vary', 'Origin']] });
    expect(decide(policy({ origins: '*' }), {})).toEqual({ type: 'pass', fields: [] });
    expect(decide(policy({ origins: '*' }), { origin: 'https://any.where' })).toEqual({
      type: 'pass',
      fields: [['Access-Control-Allow-Origin', '*']],
    });
  });

  it('a preflight is answered 204 with what is allowed; one from an origin not allowed 403', () => {
    const ok = decide(policy(), {
      method: 'OPTIONS',
      origin: 'https://a.example.org',
      requestMethod: 'PUT',
      requestHeaders: 'X-Token, content-type',
    });
    expect(ok).toEqual({
      type: 'preflight',
      status: 204,
      fields: [
        ['Access-Control-Allow-Origin', 'https://a.example.org'],
        ['Access-Control-Allow-Methods', 'GET, POST'],
        ['Access-Control-Allow-Headers', 'X-Token, content-type'],
        ['Access-Control-Max-Age', '600'],
        ['Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'],
      ],
    });
    const listed = decide(policy({ allowHeaders: ['X-Token'] }), {
      method: 'OPTIONS',
      origin: 'null',
      requestMethod: 'GET',
      requestHeaders: 'x-other',
    });
    expect(listed.fields).toContainEqual(['Access-Control-Allow-Headers', 'X-Token']);
    expect(listed.fields).toContainEqual(['Vary', 'Origin, Access-Control-Request-Method']);
    // Requested names that are not field names are not echoed.
    const odd = decide(policy(), { method: 'OPTIONS', origin: 'null', requestMethod: 'GET', requestHeaders: 'a b, c' });
    expect(odd.fields.some(([n]) => n === 'Access-Control-Allow-Headers')).toBe(false);
    const refused = decide(policy(), { method: 'OPTIONS', origin: 'https://evil.com', requestMethod: 'GET' });
    expect(refused).toMatchObject({ type: 'preflight', status: 403, fields: [['Vary', 'Origin']] });
    // OPTIONS without Access-Control-Request-Method is an ordinary request.
    expect(decide(policy(), { method: 'OPTIONS', origin: 'https://app.example.com' }).type).toBe('pass');
  });
});

describe('token buckets', () => {
  it.each([
    ['100/s', { rate: 100, burst: 100, clients: 100_000 }],
    ['600/m,burst=50', { rate: 10, burst: 50, clients: 100_000 }],
    ['1/h,clients=10', { rate: 1 / 3600, burst: 1, clients: 10 }],
    ['0.5/s', { rate: 0.5, burst: 1, clients: 100_000 }],
  ])('%s', (text, spec) => expect(parseRateSpec(text)).toEqual(spec));

  it.each(['100', '100/d', '0/s', '-1/s', '100/s,burst=0', '100/s,bursts=2', '100/s,burst=1.5', ''])('refuses %s', (text) =>
    expect(() => parseRateSpec(text)).toThrow(TypeError),
  );

  it('lets a burst through, then one request per 1/rate seconds, and says how long to wait', () => {
    const buckets = new ClientBuckets({ rate: 10, burst: 3, clients: 100 });
    const t0 = 1000;
    expect([0, 1, 2].map((i) => buckets.take('a', t0 + i))).toEqual([0, 0, 0]);
    const wait = buckets.take('a', t0 + 3);
    expect(wait).toBeGreaterThan(95);
    expect(wait).toBeLessThanOrEqual(100);
    expect(retryAfterSeconds(wait)).toBe(1);
    expect(retryAfterSeconds(2500)).toBe(3);
    // Another client has its own bucket.
    expect(buckets.take('b', t0 + 3)).toBe(0);
    // 100 ms later, one token is back, and only one.
    expect(buckets.take('a', t0 + 103)).toBe(0);
    expect(buckets.take('a', t0 + 104)).toBeGreaterThan(0);
    // A long pause refills to the burst, no further.
    expect([0, 1, 2, 3].map((i) => buckets.take('a', t0 + 60_000 + i) === 0)).toEqual([true, true, true, false]);
  });

  it('holds at most `clients` buckets: full ones go first, then the oldest', () => {
    const buckets = new ClientBuckets({ rate: 1, burst: 2, clients: 10 });
    for (let i = 0; i < 10; i++) buckets.take(`c${i}`, 0);
    // Every bucket has refilled by t=5000: room is made by dropping them, at no loss.
    buckets.take('new', 5000);
    expect(buckets.size).toBe(1);
    for (let i = 0; i < 10; i++) buckets.take(`d${i}`, 6000);
    expect(buckets.size).toBeLessThanOrEqual(10);
    // None refilled now: the oldest go, down to nine tenths.
    buckets.take('e', 6001);
    expect(buckets.size).toBeLessThanOrEqual(10);
    for (let i = 0; i < 1000; i++) buckets.take(`f${i}`, 6002);
    expect(buckets.size).toBeLessThanOrEqual(10);
  });

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:0:0:0:0/64'],
    ['2001:db8:1:2::7', '2001:db8:1:2:0:0:0:0/64'],
    ['2001:DB8:1:2:ffff::1%eth0', '2001:db8:1:2:0:0:0:0/64'],
    ['::1', '0:0:0:0:0:0:0:0/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0:0:0:0:0/64'],
  ])('client %s is %s', (address, key) => expect(clientKey(address)).toBe(key));

  it('cuts IPv6 at any prefix', () => {
    expect(clientKey('2001:db8:abcd:ef01::1', 48)).toBe('2001:db8:abcd:0:0:0:0:0/48');
    expect(clientKey('2001:db8:abcd:ef01::1', 56)).toBe('2001:db8:abcd:ef00:0:0:0:0/56');
    expect(clientKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1');
  });
});

describe('redirect and rewrite rules', () => {
  const rule = (from: string, to: string) => compileRule(from, to);

  it.each([
    ['/old', '/new', '/old', '', '/new'],
    ['/old', '/new', '/older', '', undefined],
    ['/old', '/new', '/old', 'a=1', '/new?a=1'],
    ['/blog/(.*)', 'https://blog.example.com/$1', '/blog/2024/hello world', '', 'https://blog.example.com/2024/hello%20world'],
    ['/u/(?<name>[^/]+)', '/users?name=$<name>', '/u/a&b=c', 'x=1', '/users?name=a%26b%3Dc&x=1'],
    ['/q/(.*)', '/search/$1', '/q/what?#', '', '/search/what%3F%23'],
    ['/(.*)', '$1', '/evil.example', '', '/evil.example'],
    ['/(.*)', '$1', '/https:/evil.example', '', '/https:/evil.example'],
    ['/x(.*)', '/$1', '/x/evil.example', '', '/evil.example'],
    ['/x(.*)', '/$1', '/x\\evil.example', '', '/%5Cevil.example'],
    ['/price', '/cost$$', '/price', '', '/cost$'],
  ])('redirect %s -> %s: %s?%s goes to %s', (from, to, path, query, location) =>
    expect(redirectLocation(rule(from, to), path, query)).toBe(location),
  );

  it('rewrites with the first rule that matches, once, into a normalised path', () => {
    const rules = [rule('/app/(.*)', '/index.php?route=$1'), rule('/a', '/b'), rule('/b', '/c'), rule('/up/(.*)', '/static/../$1')];
    expect(rewritePath(rules, '/app/x y', 'k=v')).toEqual({ path: '/index.php', query: 'route=x%20y&k=v' });
    // /a becomes /b, and /b's rule does not then apply: rewrites happen once.
    expect(rewritePath(rules, '/a', '')).toEqual({ path: '/b', query: '' });
    expect(rewritePath(rules, '/up/../../etc/passwd', '')).toEqual({ path: '/etc/passwd', query: '' });
    expect(rewritePath(rules, '/none', 'q')).toBeUndefined();
  });

  it('refuses bad rules when they are made', () => {
    expect(() => rule('/(', '/x')).toThrow(/not a regular expression/);
    expect(() => rule('/a', '/$2')).toThrow(/\$2, and the pattern has 0/);
    expect(() => rule('/(a)', '/$<n>')).toThrow(/does not name/);
    expect(() => rule('/a', '/$x')).toThrow(/must be followed/);
    expect(() => rule('/a', '')).toThrow(/non-empty/);
    expect(() => rule('/a', '/b\r\nX: y')).toThrow(/control characters/);
  });
});

describe('host patterns', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['Example.COM', 'example.com', true],
    ['example.com', 'example.com.', true],
    ['example.com.', 'example.com', true],
    ['example.com', 'www.example.com', false],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'badexample.com', false],
    ['[::1]', '[::1]', true],
  ])('%s takes %s: %s', (pattern, host, yes) => expect(hostPatternMatches(pattern, host)).toBe(yes));

  it('orders exact names first, then wildcards by longest suffix', () => {
    const order = hostPatternOrder(['*.example.com', 'a.example.com', '*.b.example.com', 'c.com'], (p) => p);
    expect(order).toEqual(['a.example.com', 'c.com', '*.b.example.com', '*.example.com']);
  });

  it('tells patterns from other things', () => {
    expect(['example.com', '*.example.com', 'localhost', '127.0.0.1', '[::1]'].every(isHostPattern)).toBe(true);
    expect(['', '*', 'a.*.com', 'http://x', 'ex ample.com', 'a/b'].some(isHostPattern)).toBe(false);
  });
});

describe('the SPA fallback', () => {
  it.each([
    ['GET', 'text/html,application/xhtml+xml,*/*;q=0.8', '/settings/profile', true],
    ['HEAD', undefined, '/x', true],
    ['GET', '*/*', '/x', true],
    ['GET', 'application/json', '/api/x', false],
    ['GET', 'text/html;q=0', '/x', false],
    ['POST', 'text/html', '/x', false],
    ['GET', 'text/html', '/app.3f2a.js', false],
    ['GET', 'text/html', '/logo.png', false],
    ['GET', 'text/html', '/v1.2/page', true],
  ])('%s %s %s: %s', (method, accept, path, yes) => expect(takesAppShell(method, accept, path)).toBe(yes));
});

describe('fields a stage puts on the response', () => {
  const request = () => fakeRequest();

  it('are set over the handler’s, and added to Vary', () => {
    const shared = new HeaderMap([
      ['Access-Control-Allow-Origin', 'https://a'],
      ['Vary', 'Origin'],
    ]);
    let r = withResponseFields(request(), shared);
    r = withResponseFields(r, new HeaderMap([['Vary', 'Origin, Accept']]));
    // The map a stage hands over is never changed: it may serve every request.
    expect(shared.toObject()).toEqual({ 'access-control-allow-origin': 'https://a', vary: 'Origin' });
    const out = applyResponseFields(respond(r, { headers: { 'Access-Control-Allow-Origin': '*', Vary: 'Accept-Encoding' }, body: 'x' }));
    expect(out.headers.toObject()).toEqual({ 'access-control-allow-origin': 'https://a', vary: 'Accept-Encoding, Origin, Accept' });
    const plain = respond(request(), {});
    expect(applyResponseFields(plain)).toBe(plain);
    expect(withResponseFields(request(), new HeaderMap()).responseFields).toBeUndefined();
  });
});
