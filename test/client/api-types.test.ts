/**
 * Type-level tests: the client's names, argument objects and results are
 * derived from the description. Every `@ts-expect-error` line must fail to
 * compile: `npm run typecheck` (which CI runs over test/) fails if one stops
 * failing. The calls sit in functions that never run, so no request is made.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  defineApi,
  camelJoin,
  snakeJoin,
  keepNamespace,
  namingRule,
  dropVariables,
  type ApplyRule,
  type CamelJoin,
  type DropVariables,
  type NameRule,
  type ArgumentsOf,
  type ResultOf,
  type WithResults,
  type PathVariables,
} from '../../src/client/index.js';
import type { CallMessage } from '../../components/api-client.js';

const description = {
  email: {
    post: [
      ['to', 'string'],
      ['subject', 'string'],
      ['body', 'string', 'optional'],
    ],
  },
  'SMS/Messages': {
    get: [['since', 'string', 'optional']],
    post: [
      ['to', 'string'],
      ['tags', 'string[]', 'optional', 'query'],
    ],
  },
  'artists/{artist_id}/calendar': {
    get: [
      ['page', 'integer', 'optional'],
      ['min_date', 'string', 'optional'],
    ],
  },
  'users/{id}/settings': {
    get: [['id', 'integer']],
    put: [
      ['id', 'integer'],
      ['dark', 'boolean'],
      ['extra', 'json', 'optional'],
    ],
    patch: [
      ['id', 'integer'],
      ['scores', 'number[]', 'optional'],
    ],
    delete: [['id', 'integer']],
  },
} as const;

const api = defineApi(description, { baseUrl: 'http://127.0.0.1:1/' });

describe('the client type', () => {
  it('names namespaces by the default rule: delimiters joined, variables dropped', () => {
    expectTypeOf(api).toHaveProperty('email');
    expectTypeOf(api).toHaveProperty('SMSMessages');
    expectTypeOf(api).toHaveProperty('artistsCalendar');
    expectTypeOf(api).toHaveProperty('usersSettings');
    expectTypeOf<keyof typeof api>().toEqualTypeOf<'email' | 'SMSMessages' | 'artistsCalendar' | 'usersSettings'>();
    expectTypeOf<keyof typeof api.SMSMessages>().toEqualTypeOf<'get' | 'post'>();
    expectTypeOf<keyof typeof api.usersSettings>().toEqualTypeOf<'get' | 'put' | 'patch' | 'delete'>();
  });

  it('types each argument object from the parameter list and the path variables', () => {
    expectTypeOf<ArgumentsOf<typeof api.email.post>>().toEqualTypeOf<{ to: string; subject: string; body?: string }>();
    expectTypeOf<ArgumentsOf<typeof api.artistsCalendar.get>>().toEqualTypeOf<{
      artist_id: string | number;
      page?: number;
      min_date?: string;
    }>();
    // A declared path variable takes its declared type.
    expectTypeOf<ArgumentsOf<typeof api.usersSettings.get>>().toEqualTypeOf<{ id: number }>();
    expectTypeOf<ArgumentsOf<typeof api.usersSettings.put>>().toMatchTypeOf<{ id: number; dark: boolean }>();
    expectTypeOf<ArgumentsOf<typeof api.SMSMessages.post>>().toEqualTypeOf<{ to: string; tags?: readonly string[] }>();
    expectTypeOf<ArgumentsOf<typeof api.usersSettings.patch>>().toEqualTypeOf<{ id: number; scores?: readonly number[] }>();
  });

  it('reads flags from the flags only: a parameter may be named "optional"', () => {
    const named = defineApi(
      {
        search: {
          get: [
            ['optional', 'string'],
            ['query', 'string', 'optional'],
          ],
        },
      },
      { baseUrl: 'http://x/' },
    );
    expectTypeOf<ArgumentsOf<typeof named.search.get>>().toEqualTypeOf<{ optional: string; query?: string }>();
  });

  it('lets the arguments be left out when none is required', () => {
    expectTypeOf(api.SMSMessages.get).toBeCallableWith();
    expectTypeOf(api.SMSMessages.get).toBeCallableWith({ since: 'yesterday' });
    expectTypeOf(api.artistsCalendar.get).toBeCallableWith({ artist_id: '258948' });
    expectTypeOf(api.artistsCalendar.get).toBeCallableWith({ artist_id: 258948, page: 2 }, { timeout: 100 });
  });

  it('refuses, at compile time, missing, mistyped and unknown arguments', () => {
    const never = (): void => {
      // @ts-expect-error a required parameter is missing
      void api.email.post({ to: 'a@example.com' });
      // @ts-expect-error the arguments of a call with required parameters cannot be left out
      void api.email.post();
      // @ts-expect-error a path variable is required
      void api.artistsCalendar.get({ page: 1 });
      // @ts-expect-error a path variable is required even when every parameter is optional
      void api.artistsCalendar.get();
      // @ts-expect-error wrong type: page is an integer
      void api.artistsCalendar.get({ artist_id: '1', page: '2' });
      // @ts-expect-error wrong type: a declared integer path variable takes no string
      void api.usersSettings.get({ id: '7' });
      // @ts-expect-error wrong type: boolean
      void api.usersSettings.put({ id: 7, dark: 'yes' });
      // @ts-expect-error wrong type: an array of strings
      void api.SMSMessages.post({ to: 'x', tags: [1, 2] });
      // @ts-expect-error wrong type: json takes no function
      void api.usersSettings.put({ id: 7, dark: true, extra: () => 1 });
      // @ts-expect-error an unknown parameter (a typo)
      void api.SMSMessages.get({ sinc: 'yesterday' });
      // @ts-expect-error an unknown namespace
      void api.smsMessages.get();
      // @ts-expect-error a method the namespace does not offer
      void api.email.get({ to: 'x', subject: 'y' });
      // @ts-expect-error an unknown call option
      void api.SMSMessages.get({}, { timout: 5 });
    };
    void never;
  });

  it('resolves calls to what decode returns: unknown by default', () => {
    expectTypeOf<ResultOf<typeof api.email.post>>().toEqualTypeOf<unknown>();
    const typed = defineApi(description, { baseUrl: 'http://127.0.0.1:1/', decode: (r) => r.text() });
    expectTypeOf<ResultOf<typeof typed.email.post>>().toEqualTypeOf<string>();
    const checked = defineApi(description, {
      baseUrl: 'http://127.0.0.1:1/',
      decode: async (r) => JSON.parse(r.text()) as { ok: boolean },
      check: (data) => {
        expectTypeOf(data).toEqualTypeOf<{ ok: boolean }>();
      },
    });
    expectTypeOf<ResultOf<typeof checked.SMSMessages.get>>().toEqualTypeOf<{ ok: boolean }>();
  });

  it('takes result types per call with WithResults', () => {
    interface Event {
      readonly id: number;
    }
    const typed = api as WithResults<typeof api, { artistsCalendar: { get: Event[] } }>;
    expectTypeOf<ResultOf<typeof typed.artistsCalendar.get>>().toEqualTypeOf<Event[]>();
    expectTypeOf<ResultOf<typeof typed.email.post>>().toEqualTypeOf<unknown>();
    expectTypeOf<ArgumentsOf<typeof typed.artistsCalendar.get>>().toEqualTypeOf<ArgumentsOf<typeof api.artistsCalendar.get>>();
    const never = (): void => {
      // @ts-expect-error WithResults keeps the argument types
      void typed.artistsCalendar.get({ page: 1 });
    };
    void never;
  });

  it('works without as const too (a const type parameter)', () => {
    const inline = defineApi({ 'a/{b}': { get: [['c', 'number', 'optional']] } }, { baseUrl: 'http://127.0.0.1:1/' });
    expectTypeOf<ArgumentsOf<typeof inline.a.get>>().toEqualTypeOf<{ b: string | number; c?: number }>();
  });

  it('refuses a description the types cannot describe', () => {
    const never = (): void => {
      // @ts-expect-error an unknown parameter type
      defineApi({ a: { get: [['x', 'strnig']] } }, { baseUrl: 'http://x/' });
      // @ts-expect-error an unknown method
      defineApi({ a: { fetch: [] } }, { baseUrl: 'http://x/' });
      // @ts-expect-error an unknown flag
      defineApi({ a: { get: [['x', 'string', 'optinal']] } }, { baseUrl: 'http://x/' });
      // @ts-expect-error hooks need a base URL
      defineApi({ a: { get: [] } }, {});
      // @ts-expect-error a naming rule must come with its type: wrap a plain function in namingRule()
      defineApi({ a: { get: [] } }, { baseUrl: 'http://x/', naming: (ns: string) => ns });
    };
    void never;
  });
});

describe("the component form's messages", () => {
  it('are a union of the calls, typed like the calls', () => {
    type Call = CallMessage<typeof api>;
    expectTypeOf<Extract<Call, { name: 'email' }>>().toEqualTypeOf<
      {
        readonly type: 'call';
        readonly name: 'email';
        readonly method: 'post';
        readonly tag?: unknown;
      } & { readonly args: { to: string; subject: string; body?: string } }
    >();
    const ok: Call[] = [
      { type: 'call', name: 'SMSMessages', method: 'get' },
      { type: 'call', name: 'artistsCalendar', method: 'get', args: { artist_id: 1 }, tag: 'mine' },
    ];
    void ok;
    const never = (): Call[] => [
      // @ts-expect-error a required parameter is missing
      { type: 'call', name: 'email', method: 'post', args: { to: 'x' } },
      // @ts-expect-error a method the namespace does not offer
      { type: 'call', name: 'email', method: 'get', args: { to: 'x', subject: 'y' } },
      // @ts-expect-error the arguments are required when a parameter is
      { type: 'call', name: 'artistsCalendar', method: 'get' },
    ];
    void never;
  });
});

describe('naming rules at the type level', () => {
  it('camelJoin, snakeJoin and keepNamespace', () => {
    expectTypeOf<ApplyRule<CamelJoin, 'SMS/Messages'>>().toEqualTypeOf<'SMSMessages'>();
    expectTypeOf<ApplyRule<CamelJoin, 'artists/{artist_id}/calendar'>>().toEqualTypeOf<'artistsCalendar'>();
    expectTypeOf<ApplyRule<CamelJoin, '/user-groups/{id}/members.list'>>().toEqualTypeOf<'userGroupsMembersList'>();
    expectTypeOf<ApplyRule<CamelJoin<'/'>, 'user-groups/x'>>().toEqualTypeOf<'user-groupsX'>();
    expectTypeOf<DropVariables<'a/{b}/c/{d}'>>().toEqualTypeOf<'a//c/'>();
    expectTypeOf<PathVariables<'a/{b}/c/{d}'>>().toEqualTypeOf<'b' | 'd'>();

    const snake = defineApi(description, { baseUrl: 'http://x/', naming: snakeJoin() });
    expectTypeOf<keyof typeof snake>().toEqualTypeOf<'email' | 'sms_messages' | 'artists_calendar' | 'users_settings'>();
    const kept = defineApi(description, { baseUrl: 'http://x/', naming: keepNamespace });
    expectTypeOf<keyof typeof kept>().toEqualTypeOf<keyof typeof description>();
    const slashOnly = defineApi({ 'user-groups/list': { get: [] } }, { baseUrl: 'http://x/', naming: camelJoin(['/']) });
    expectTypeOf<keyof typeof slashOnly>().toEqualTypeOf<'user-groupsList'>();
  });

  it('a rule of your own, with its type', () => {
    interface Shout extends NameRule {
      readonly name: Uppercase<DropVariables<this['namespace']>>;
    }
    const shout = namingRule<Shout>((namespace) => dropVariables(namespace).toUpperCase());
    const loud = defineApi({ 'sms/{x}': { get: [] } }, { baseUrl: 'http://x/', naming: shout });
    expectTypeOf<keyof typeof loud>().toEqualTypeOf<'SMS/'>();
    // Without a type, the names are any string (an index signature, whose keys TypeScript writes string | number).
    const plain = defineApi({ a: { get: [] } }, { baseUrl: 'http://x/', naming: namingRule((ns) => ns) });
    expectTypeOf<keyof typeof plain>().toEqualTypeOf<string | number>();
  });
});
