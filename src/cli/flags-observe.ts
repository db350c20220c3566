/** The command's flags for seeing the server run: metrics, JSON logs, the runtime's counting. */
import { CliError, type Flag } from './args.js';

export const observeFlags: readonly Flag[] = [
  {
    name: '--metrics',
    value: 'PATH',
    help: 'serve Prometheus metrics at PATH (OpenMetrics when the scraper asks for it)',
    apply: (o, v) => void (o.metrics = v),
  },
  {
    name: '--log-format',
    value: 'FORMAT',
    help: 'text (default) or json: one JSON object a line on every channel (and a JSON access log)',
    apply: (o, v) => {
      if (v !== 'text' && v !== 'json') throw new CliError(`--log-format takes text or json, not "${v}"`);
      o.log = { ...(o.log ?? {}), format: v };
    },
  },
  {
    name: '--no-introspection',
    help: 'do not count per component class, box, route and interface (the status page keeps its totals)',
    apply: (o) => void (o.introspection = false),
  },
];
