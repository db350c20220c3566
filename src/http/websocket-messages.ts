/**
 * From frames to what a WebSocket endpoint acts on (RFC 6455 §5.4, §5.5,
 * §5.6, §7.4): whole messages (text as a string, binary as a Buffer), pings,
 * pongs and the peer's close, or the violation that fails the connection.
 * Pure, like the frame decoder it follows.
 *
 * - Fragments join into one message; control frames may come between them
 *   (§5.4), a continuation with no message begun or a new message before the
 *   last one ended may not (1002).
 * - Text is checked as UTF-8 as each fragment arrives (§8.1), so a bad byte
 *   in the first fragment fails the connection without waiting for the rest
 *   (1007); a sequence split between fragments is carried over.
 * - A message longer than the message limit fails it as soon as its
 *   fragments pass the limit (1009), before they are joined.
 * - A compressed message (RFC 7692) is handed on whole and still compressed:
 *   inflating it is asynchronous, and not this module's business;
 *   `decodeText` checks its text once inflated.
 * - A close frame's code must be one an endpoint may send (§7.4), its
 *   reason UTF-8.
 */
import { TextDecoder } from 'node:util';
import { opcodes, type Frame, type Violation } from './websocket-frames.js';

export type Incoming =
  | { readonly type: 'message'; readonly data: string | Buffer }
  | { readonly type: 'compressed'; readonly binary: boolean; readonly data: Buffer }
  | { readonly type: 'ping'; readonly payload: Buffer }
  | { readonly type: 'pong'; readonly payload: Buffer }
  /** The peer's close: `code` undefined when it gave none (1005 to the application, §7.1.5). */
  | { readonly type: 'close'; readonly code: number | undefined; readonly reason: string }
  | ({ readonly type: 'violation' } & Violation);

/** Status codes (§7.4.1, and the IANA registry's 1012-1014): 1004, 1005, 1006 and 1015 are never sent; 3000-4999 are for libraries and applications. */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** One decoder for whole messages: a call without `stream` keeps no state. */
const wholeText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A message's UTF-8 as a string, or undefined when it is not valid UTF-8. */
export function decodeText(bytes: Uint8Array): string | undefined {
  try {
    return wholeText.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A close frame's payload: the code and reason, or what is wrong with it. */
export function parseClose(payload: Buffer): Incoming {
  if (payload.length === 0) return { type: 'close', code: undefined, reason: '' };
  if (payload.length === 1) return violation(1002, 'a close frame with a one-byte payload');
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) return violation(1002, `close code ${code} may not be sent`);
  const reason = decodeText(payload.subarray(2));
  if (reason === undefined) return violation(1007, 'a close reason that is not UTF-8');
  return { type: 'close', code, reason };
}

function violation(code: number, reason: string): Incoming {
  return { type: 'violation', code, reason };
}

export class MessageAssembler {
  /** The opcode of the message being joined (text or binary); 0 between messages. */
  private opcode = 0;
  private compressed = false;
  /** The fragments so far (made when a message comes in fragments). */
  private parts: Buffer[] | undefined = undefined;
  private size = 0;
  /** Text fragments decoded so far, and the decoder carrying a split sequence between them. */
  private text: string[] | undefined = undefined;
  private decoder: TextDecoder | undefined = undefined;

  /** `maxMessage`: the most bytes a message may have, as received (and, for a compressed one, once inflated: see the inflater). */
  constructor(private readonly maxMessage: number) {}

  /** Takes the next frame; says what it completes, if anything. */
  frame(frame: Frame): Incoming | undefined {
    const opcode = frame.opcode;
    switch (opcode) {
      case opcodes.ping:
        return { type: 'ping', payload: frame.payload };
      case opcodes.pong:
        return { type: 'pong', payload: frame.payload };
      case opcodes.close:
        return parseClose(frame.payload);
      case opcodes.continuation:
        if (this.opcode === 0) return violation(1002, 'a continuation frame with no message begun');
        return this.add(frame);
      default:
        if (this.opcode !== 0) return violation(1002, 'a new message before the last one was finished');
        if (frame.fin && !frame.compressed) return this.whole(frame);
        this.opcode = opcode;
        this.compressed = frame.compressed;
        return this.add(frame);
    }
  }

  /** A message in one frame, the common case: no joining, one decode. */
  private whole(frame: Frame): Incoming {
    if (frame.payload.length > this.maxMessage) return this.tooBig(frame.payload.length);
    if (frame.opcode === opcodes.binary) return { type: 'message', data: frame.payload };
    const text = decodeText(frame.payload);
    return text === undefined ? violation(1007, 'a text message that is not UTF-8') : { type: 'message', data: text };
  }

  private add(frame: Frame): Incoming | undefined {
    const payload = frame.payload;
    this.size += payload.length;
    if (this.size > this.maxMessage) return this.tooBig(this.size);
    if (this.opcode === opcodes.text && !this.compressed) {
      this.decoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      try {
        // The last fragment flushes: a sequence it leaves unfinished is an error too.
        (this.text ??= []).push(this.decoder.decode(payload, { stream: !frame.fin }));
      } catch {
        return violation(1007, 'a text message that is not UTF-8');
      }
    } else (this.parts ??= []).push(payload);
    if (!frame.fin) return undefined;
    return this.complete();
  }

  private complete(): Incoming {
    const binary = this.opcode === opcodes.binary;
    const compressed = this.compressed;
    const parts = this.parts ?? [];
    const data = binary || compressed ? (parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.size)) : undefined;
    const text = data === undefined ? (this.text ?? []).join('') : '';
    this.opcode = 0;
    this.compressed = false;
    this.parts = undefined;
    this.text = undefined;
    this.size = 0;
    if (compressed) return { type: 'compressed', binary, data: data! };
    return { type: 'message', data: data ?? text };
  }

  private tooBig(size: number): Incoming {
    return violation(1009, `a message of ${size} bytes or more, over the limit of ${this.maxMessage}`);
  }
}
