/** boxwire's public API: the runtime and the components. */
export * from './core/index.js';
export { Transform, map, filter, tap, type Step, type TransformOptions } from '../components/transform.js';
export { Sink, sink } from '../components/sink.js';
export { Backplane, Backplanes, PublishTo, SubscribeTo, backplanes } from '../components/backplane.js';
export { Carousel } from '../components/carousel.js';
export * from '../components/tcp-server/index.js';
