/**
 * A worker thread's end of its link to the pool (runs inside the thread).
 *
 * Messages from the pool arrive (in batches, as the pool posts them at the
 * end of its turn) two ways, both handed to the same dispatch:
 * while the thread's event loop runs (an idle thread, an async application)
 * as 'message' events; and while the thread is blocked in a synchronous call
 * of PEP 3333 (`wsgi.input.read(n)`, `write()`), by taking them off the port
 * with `receiveMessageOnPort` after `Atomics.wait` on the bell, a shared
 * counter the pool bumps after every message it posts. The thread may block;
 * the main thread only ever bumps and notifies.
 */
import { receiveMessageOnPort, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { jobFromWire, toWire, type FromThread, type ToThread, type ToThreadBatch } from './messages.js';

export class ThreadChannel {
  private waiters: (() => void)[] = [];

  constructor(
    private readonly port: MessagePort,
    private readonly bell: Int32Array,
    private readonly handle: (message: ToThread) => void,
  ) {
    port.on('message', (batch: ToThreadBatch) => this.receive(batch));
  }

  post(message: FromThread, transfer?: readonly TransferListItem[]): void {
    this.port.postMessage(toWire(message), transfer as TransferListItem[] | undefined);
  }

  /** Blocks the thread until `ready()` holds, handling the pool's messages as they come. */
  waitSync(ready: () => boolean): void {
    while (!ready()) {
      const rung = Atomics.load(this.bell, 0);
      const received = receiveMessageOnPort(this.port);
      if (received) this.receive(received.message as ToThreadBatch);
      // Posted after we looked but before we wait: the bell has moved on, so the wait returns at once.
      else Atomics.wait(this.bell, 0, rung);
    }
  }

  /** Handles the messages already posted, if any, without waiting. */
  poll(): void {
    for (let received = receiveMessageOnPort(this.port); received; received = receiveMessageOnPort(this.port)) {
      this.receive(received.message as ToThreadBatch);
    }
  }

  /** Resolves once `ready()` holds, letting the thread's event loop run meanwhile. */
  async waitAsync(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The pool posts what it has for the thread at the end of each of its turns, in one batch; a job comes as a WireJob. */
  private receive(batch: ToThreadBatch): void {
    for (const message of batch) this.dispatch(Array.isArray(message) ? jobFromWire(message) : message);
  }

  private dispatch(message: ToThread): void {
    this.handle(message);
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
