/** The component runtime: boxes, components, links, graphs, lifecycle. */
export { Box, box, type BoxSpec, type MessageOf, type Direction } from './box.js';
export {
  Component,
  boxes,
  defaultBoxes,
  assertNever,
  type ComponentSpec,
  type DefaultSpec,
  type Inboxes,
  type Outboxes,
  type InMessage,
  type OutMessage,
  type Resource,
  type OwnedTimer,
} from './component.js';
export { Graphline, Pipeline, graphline, pipeline, type LinkSpec, type Children } from './graph.js';
export { GraphPlan, type ChildFactory, type BoxRef, type PlanLink, type PlanView, type InsertOptions } from './graph-plan.js';
export { isThenable } from './thenable.js';
export { Link, link, unlink } from './link.js';
export { logRecord, type LogRecord, type LogLevel } from './log.js';
export {
  producerFinished,
  shutdown,
  gracefulShutdown,
  failed,
  isLifecycle,
  endsInput,
  type Lifecycle,
  type ProducerFinished,
  type Shutdown,
  type Failed,
  type Ended,
} from './signals.js';
export { liveCounts, type RuntimeStats } from './stats.js';
export { census, setCensus, censusOn, type KindFigures, type BoxFigures } from './census.js';
export { Gauges, type GaugeSource, type GaugeReading } from './gauges.js';
export type { ConnectionInfo, PeerCertificate } from './connection-info.js';
