/**
 * Basic authentication's pure parts, as tables: the Authorization field,
 * the htpasswd file, and the hashes, checked against files written by
 * Apache's own htpasswd (apache2-utils) and by openssl passwd.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicChallenge, maxCredentialsLength, parseBasicCredentials } from '../../src/http/basic-credentials.js';
import { hashKind, parseHtpasswd, type UsersTable } from '../../src/http/htpasswd.js';
import { isSlowHash, md5Crypt, verifyPassword } from '../../src/http/password-hash.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('the Authorization field (RFC 7617)', () => {
  it.each([
    ['Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'aladdin', 'opensesame'],
    ['basic YWxhZGRpbjpvcGVuc2VzYW1l', 'aladdin', 'opensesame'],
    ['BASIC   YWxhZGRpbjpvcGVuc2VzYW1l ', 'aladdin', 'opensesame'],
    [`Basic ${b64('a:b:c')}`, 'a', 'b:c'],
    [`Basic ${b64('ü:pässwörd')}`, 'ü', 'pässwörd'],
    [`Basic ${b64('user:')}`, 'user', ''],
  ])('%s is %s / %s', (field, user, password) => {
    const r = parseBasicCredentials(field);
    expect(r.ok).toBe(true);
    if (r.ok) expect([r.credentials.user, r.credentials.password.toString('utf8')]).toEqual([user, password]);
  });

  it.each([
    [undefined, true, /no credentials/],
    ['Bearer abc', true, /another scheme/],
    ['Digest username="a"', true, /another scheme/],
    ['Basic', false, /no credentials/],
    ['Basic ', false, /no credentials/],
    ['Basic YWxhZGRpbjpvcGVuc2VzYW1l!', false, /not base64/],
    ['Basic YWxhZGRpbjpvcGVuc2VzYW1', false, /not base64/],
    ['Basic YWxh ZGRp', false, /not base64/],
    [`Basic ${b64('nocolon')}`, false, /no colon/],
    [`Basic ${b64(':password')}`, false, /empty user-id/],
    [`Basic ${b64('a\tb:c')}`, false, /control character/],
    [`Basic ${b64('a:b\r\nc')}`, false, /control character/],
    [`Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, false, /not UTF-8/],
    [`Basic ${'A'.repeat(maxCredentialsLength + 4)}`, false, /longer than/],
  ])('%s is refused', (field, missing, reason) => {
    const r = parseBasicCredentials(field as string | undefined);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.missing).toBe(missing);
      expect(r.reason).toMatch(reason);
    }
  });

  it('challenges with the realm quoted and UTF-8 as the charset', () => {
    expect(basicChallenge('Admin area')).toBe('Basic realm="Admin area", charset="UTF-8"');
    expect(basicChallenge('say "hi" \\o/')).toBe('Basic realm="say \\"hi\\" \\\\o/", charset="UTF-8"');
  });
});

describe('hashes', () => {
  it.each([
    ['$2y$05$cL4Nju6nu3NYZHrP9Pr.Xu9QWAo9JrqajCXtFNYxhha21tjNmhVJ6', 'bcrypt'],
    ['$2b$10$CPwyU21EZW3vDUVgJKWl/uF10RSGFvnjyTEAFGIz4p56PUG9VVjzq', 'bcrypt'],
    ['$apr1$fd6mRFak$Yz4E/Y4U0I3Ll5jsZ/Dh.1', 'md5'],
    ['$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/', 'md5'],
    ['{SHA}hKc+M0WUMn5/Y+B2Ttu5kfiQPSI=', 'sha1'],
    ['T83tbQX7Nx5wk', undefined],
    ['plaintext', undefined],
    ['$6$salt$abc', undefined],
    ['$2y$05$short', undefined],
    ['{SHA}notbase64', undefined],
  ])('%s is %s', (hash, kind) => expect(hashKind(hash)).toBe(kind));

  it('MD5-crypt matches openssl passwd and htpasswd -m, byte for byte', () => {
    expect(md5Crypt(bytes('password'), '$1$saltsalt$')).toBe('$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/');
    expect(md5Crypt(bytes('ünïcode pässwörd'), '$apr1$abcdefgh$')).toBe('$apr1$abcdefgh$eJhJWOy97gbx1sYkyMYs..');
    expect(md5Crypt(bytes(''), '$apr1$xy$')).toBe('$apr1$xy$43..WIhbfuznGvwoCyUek/');
    expect(md5Crypt(bytes('b0b:pass'), '$apr1$fd6mRFak$Yz4E/Y4U0I3Ll5jsZ/Dh.1')).toBe('$apr1$fd6mRFak$Yz4E/Y4U0I3Ll5jsZ/Dh.1');
  });

  it('says which checks are slow (off the event loop)', () => {
    expect([isSlowHash('bcrypt'), isSlowHash('md5'), isSlowHash('sha1')]).toEqual([true, true, false]);
  });
});

describe('an htpasswd file', () => {
  it('is read as mod_authn_file reads it: comments and blank lines skipped, the first line for a user counts', () => {
    const table = parseHtpasswd(
      [
        '# admins',
        '',
        'alice:{SHA}hKc+M0WUMn5/Y+B2Ttu5kfiQPSI=',
        'bob:$apr1$fd6mRFak$Yz4E/Y4U0I3Ll5jsZ/Dh.1:extra field',
        'alice:$apr1$fd6mRFak$Yz4E/Y4U0I3Ll5jsZ/Dh.1',
        'eve:T83tbQX7Nx5wk',
        'no colon here',
        'carol:$2y$05$cL4Nju6nu3NYZHrP9Pr.Xu9QWAo9JrqajCXtFNYxhha21tjNmhVJ6\r',
        '',
      ].join('\n'),
    );
    expect([...table.users].map(([u, h]) => [u, h.kind])).toEqual([
      ['alice', 'sha1'],
      ['bob', 'md5'],
      ['carol', 'bcrypt'],
    ]);
    expect(table.problems).toEqual([
      expect.stringMatching(/line 5: "alice" again/),
      expect.stringMatching(/line 6: "eve" .*crypt\(3\) DES/),
      expect.stringMatching(/line 7: no user-id/),
    ]);
  });
});

describe("a file written by Apache's htpasswd", () => {
  let dir: string;
  let table: UsersTable;
  const users: [string, string, string][] = [
    ['bcrypt', '-B', 'wönder land'],
    ['bcrypt10', '-BC10', 'correct horse'],
    ['apr1', '-m', 'b0b:pass'],
    ['sha', '-s', 'ç-utf8 ✓'],
    ['empty', '-m', ''],
  ];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'boxwire-htpasswd-'));
    const file = join(dir, 'users');
    execFileSync('htpasswd', ['-cbB', file, 'first', 'x'], { stdio: 'ignore' });
    for (const [user, flag, password] of users) execFileSync('htpasswd', [`-b${flag.slice(1)}`, file, user, password], { stdio: 'ignore' });
    table = parseHtpasswd(readFileSync(file, 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds all three kinds', () => {
    expect(table.problems).toEqual([]);
    expect(users.map(([u]) => table.users.get(u)!.kind)).toEqual(['bcrypt', 'bcrypt', 'md5', 'sha1', 'md5']);
    expect(table.users.get('bcrypt')!.text).toMatch(/^\$2y\$05\$/);
  });

  it.each(users)('checks %s (htpasswd %s): the right password passes, wrong ones do not', (user, _flag, password) => {
    const stored = table.users.get(user)!;
    expect(verifyPassword(bytes(password), stored)).toBe(true);
    for (const wrong of [`${password}x`, password.slice(0, -1), password.toUpperCase() === password ? 'nope' : password.toUpperCase(), ' '])
      if (wrong !== password) expect(verifyPassword(bytes(wrong), stored)).toBe(false);
  });
});
