import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/http.js';
import { MusicError, musicClient, musicRoutes } from '../../examples/music-api.js';

describe('the API client example of docs/client.md: a music API, both sides', () => {
  it('searches, lists a calendar and answers an RSVP, all signed', async () => {
    const { url } = await startServer({ routes: musicRoutes({ KEY1: 'secret-1' }) });
    const music = musicClient(url, 'KEY1', 'secret-1');
    expect((await music.artistsSearch.get({ query: 'cure' })).results).toEqual([{ id: 258948, name: 'The Cure' }]);
    const calendar = await music.artistsCalendar.get({ artist_id: '258948' });
    expect(calendar.results.map((e) => e.city)).toEqual(['London', 'Paris']);
    expect(await music.eventsRsvp.post({ event_id: 7, attending: true, note: 'front row' })).toEqual({
      status: 'ok',
      results: { event: 7, attending: true },
    });
    expect(await music.eventsRsvp.delete({ event_id: 7 })).toEqual({ status: 'ok', results: { event: 7, attending: false } });
  });

  it("turns the API's errors into MusicError, and a wrong secret into a 401", async () => {
    const { url } = await startServer({ routes: musicRoutes({ KEY1: 'secret-1' }) });
    const error = await musicClient(url, 'NOPE', 'secret-1')
      .artistsSearch.get({ query: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MusicError);
    expect(error).toMatchObject({ kind: 'api', code: 10, message: `GET artistsSearch (${url}/artists/search.json): Invalid API key` });
    await expect(musicClient(url, 'KEY1', 'guess').artistsCalendar.get({ artist_id: 1 })).rejects.toMatchObject({
      kind: 'api',
      code: 13,
      status: 401,
    });
  });
});
