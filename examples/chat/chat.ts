// examples/chat/chat.ts: A chat room over WebSocket, in a few lines (docs/websocket.md): every
// client's component publishes what the client says to one Backplane and
// sends the client everything the Backplane carries, its own words
// included. The room (the Backplane) opens with its first client and
// closes with its last.
//
// Mount it with `boxwire --websocket /chat/socket=./dist/examples/chat/chat.js`
// (the default export is the route's fields), or in code with
// `{ path: '/chat/socket', ...chatRoom() }`; index.html beside this file is
// the page that talks to it.
import { Backplane, Backplanes, PublishTo, SubscribeTo, graphline, type HttpRequest, type WebSocketRouteFields } from 'boxwire';

export function chatRoom(topic = 'chat'): WebSocketRouteFields {
  // A registry of the room's own, so no other Backplane of that name is heard.
  const registry = new Backplanes();
  let members = 0;
  const websocket = (_request: HttpRequest) => {
    if (members++ === 0) new Backplane(topic, registry).start();
    const member = graphline({ say: new PublishTo(topic, registry), hear: new SubscribeTo(topic, registry) }, [
      ['self.inbox', 'say.inbox'],
      ['hear.outbox', 'self.outbox'],
    ]);
    void member.done.then(() => {
      if (--members === 0) void registry.get(topic)?.shutdown();
    });
    return member;
  };
  return { websocket, websocketOptions: { maxMessage: 64 * 1024 } };
}

export default chatRoom();
