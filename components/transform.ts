/**
 * Components made from functions: `map(f)` sends `f(message)` for every
 * message, `filter(p)` passes the messages `p` accepts, `tap(f)` watches the
 * messages go by, and `new Transform(step)` is the general form, where `step`
 * may emit any number of messages for each one it receives. An exception in
 * the function fails the component, as anywhere else.
 */
import { box, type BoxSpec } from '../src/core/box.js';
import { Component, type ComponentSpec } from '../src/core/component.js';
import type { Lifecycle } from '../src/core/signals.js';

export type TransformSpec<A, B> = ComponentSpec<
  { readonly inbox: BoxSpec<A>; readonly control: BoxSpec<Lifecycle> },
  { readonly outbox: BoxSpec<B>; readonly signal: BoxSpec<Lifecycle> }
>;

/** One spec for every Transform (the message types are only the compiler's): a graph of transforms is wired once per shape, not once per instance. */
const transformSpec: TransformSpec<unknown, unknown> = {
  inboxes: {
    inbox: box<unknown>('messages to transform'),
    control: box<Lifecycle>('lifecycle requests; producerFinished passes on once the step has run'),
  },
  outboxes: {
    outbox: box<unknown>('what the step emitted, in order'),
    signal: box<Lifecycle>('lifecycle news'),
  },
};

function transformBoxes<A, B>(): TransformSpec<A, B> {
  return transformSpec as unknown as TransformSpec<A, B>;
}

export type Step<A, B> = (message: A, emit: (message: B) => void) => void;

export interface TransformOptions<B> {
  /** Called once when the producer has finished, before this component finishes: emit what is left. */
  readonly flush?: (emit: (message: B) => void) => void;
  readonly name?: string;
}

export class Transform<A, B> extends Component<TransformSpec<A, B>> {
  private readonly emit = (message: B): void => this.send('outbox', message);

  constructor(
    private readonly step: Step<A, B>,
    private readonly options: TransformOptions<B> = {},
  ) {
    super(transformBoxes<A, B>(), options.name);
  }

  protected main(): void {
    const step = this.step;
    const emit = this.emit;
    this.on('inbox', (message) => step(message, emit));
  }

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'producerFinished' && this.options.flush) this.options.flush(this.emit);
    super.onControl(message);
  }
}

export const map = <A, B>(f: (message: A) => B): Transform<A, B> => new Transform<A, B>((message, emit) => emit(f(message)));

export const filter = <A>(accept: (message: A) => boolean): Transform<A, A> =>
  new Transform<A, A>((message, emit) => {
    if (accept(message)) emit(message);
  });

export const tap = <A>(watch: (message: A) => void): Transform<A, A> =>
  new Transform<A, A>((message, emit) => {
    watch(message);
    emit(message);
  });
