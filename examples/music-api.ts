/**
 * The API client example of docs/client.md: a small music API, both sides of it. The
 * server is a few boxwire routes that check a signed API key; the client is
 * its description as data plus a few hooks. Tested in test/client/example.test.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import { readText, type HttpRequest, type Route } from '../src/index.js';
import {
  ApiError,
  decodeJson,
  defineApi,
  signature,
  signer,
  type ApiCall,
  type ApiResponse,
  type WithResults,
} from '../src/client/index.js';

// ---- The client: a description and a few hooks --------------------------------

export const musicApi = {
  'artists/search': {
    get: [
      ['query', 'string'],
      ['page', 'integer', 'optional'],
    ],
  },
  'artists/{artist_id}/calendar': { get: [['page', 'integer', 'optional']] },
  'events/{event_id}/rsvp': {
    post: [
      ['attending', 'boolean'],
      ['note', 'string', 'optional'],
    ],
    delete: [],
  },
} as const;

export interface Artist {
  readonly id: number;
  readonly name: string;
}
export interface MusicEvent {
  readonly id: number;
  readonly artist: number;
  readonly city: string;
}

/** The API's own errors: `{ "status": "error", "error": { "code": 10, "message": "..." } }`. */
export class MusicError extends ApiError {
  constructor(call: ApiCall, response: ApiResponse, error: { code: number; message: string }) {
    super('api', call, error.message, { url: response.url, status: response.status, code: error.code, data: error });
    this.name = 'MusicError';
  }
}

type Envelope = { status: 'ok'; results: unknown } | { status: 'error'; error: { code: number; message: string } };

export function musicClient(baseUrl: string, apikey: string, secret: string) {
  const sign = signer({ secret, param: 'sig' }); // sha256 over the sorted key=value pairs, secret appended
  const api = defineApi(musicApi, {
    baseUrl,
    url: (call) => `${call.base}${call.path}.json`, // artists/258948/calendar.json
    arguments: (args) => sign({ ...args, apikey }),
    decode: (response) => decodeJson(response) as Envelope,
    check: (data, response, call) => {
      if (data?.status === 'error') throw new MusicError(call, response, data.error);
    },
    timeout: 5_000,
  });
  return api as WithResults<
    typeof api,
    {
      artistsSearch: { get: { status: 'ok'; results: Artist[] } };
      artistsCalendar: { get: { status: 'ok'; results: MusicEvent[] } };
    }
  >;
}

// ---- The server: boxwire routes that implement it ------------------------------

const artists: Artist[] = [
  { id: 258948, name: 'The Cure' },
  { id: 1, name: 'Cher' },
];
const events: MusicEvent[] = [
  { id: 7, artist: 258948, city: 'London' },
  { id: 8, artist: 258948, city: 'Paris' },
];

type Args = Record<string, string>;
const reply = (body: Envelope, status = 200) => ({ status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const fail = (code: number, message: string, status = 200) => reply({ status: 'error', error: { code, message } }, status);

/** `keys`: API key -> secret. Each route's `answer` runs once the request's key and signature check out. */
export function musicRoutes(keys: Readonly<Record<string, string>>): Route[] {
  const signed = (path: string, methods: string[], answer: (args: Args, req: HttpRequest) => Envelope): Route => ({
    path,
    methods,
    handler: async (req) => {
      const args: Args = Object.fromEntries([
        ...new URLSearchParams(req.query),
        ...new URLSearchParams(await readText(req.body, 64 * 1024)),
      ]);
      const secret = Object.hasOwn(keys, args.apikey ?? '') ? keys[args.apikey!] : undefined;
      if (secret === undefined) return fail(10, 'Invalid API key');
      const expected = Buffer.from(signature(args, { secret, param: 'sig' }));
      const given = Buffer.from(args.sig ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail(13, 'Invalid signature', 401);
      return reply(answer(args, req));
    },
  });
  const rsvps = new Set<string>();
  return [
    signed('/artists/search.json', ['GET'], (args) => ({
      status: 'ok',
      results: artists.filter((a) => a.name.toLowerCase().includes(args.query!.toLowerCase())),
    })),
    signed('/artists/:id/calendar.json', ['GET'], (_, req) => ({
      status: 'ok',
      results: events.filter((e) => String(e.artist) === req.params!.id),
    })),
    signed('/events/:id/rsvp.json', ['POST', 'DELETE'], (args, req) => {
      const id = req.params!.id!;
      if (req.method === 'DELETE' || args.attending === 'false') rsvps.delete(id);
      else rsvps.add(id);
      return { status: 'ok', results: { event: Number(id), attending: rsvps.has(id) } };
    }),
  ];
}
