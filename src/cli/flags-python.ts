/**
 * The command line of Python WSGI applications. The applications
 * themselves are `--wsgi PREFIX=python:MODULE:CALLABLE` (the WSGI flag);
 * these flags say how their processes run. The queue, time limit and
 * recycling flags of the thread pool (--queue-size, --app-timeout,
 * --max-requests) apply to them too.
 */
import { CliError, integer, type Flag, type OptionsDraft } from './args.js';

const python = (o: OptionsDraft) => (o.python ??= {}) as Record<string, unknown>;

export const pythonFlags: readonly Flag[] = [
  {
    name: '--python',
    value: 'PYTHON',
    help: 'the Python that runs PREFIX=python:MODULE:CALLABLE applications, a command or a path (default python3)',
    apply: (o, v) => {
      if (v === '') throw new CliError('--python needs a command or a path');
      python(o).executable = v;
    },
  },
  {
    name: '--python-processes',
    value: 'N',
    help: 'Python processes always running per application (default 1)',
    apply: (o, v) => void (python(o).processes = integer('--python-processes', v)),
  },
  {
    name: '--python-max-processes',
    value: 'N',
    help: 'most Python processes per application, growing while requests wait; 0 for no limit (default: --python-processes)',
    apply: (o, v) => void (python(o).maxProcesses = integer('--python-max-processes', v)),
  },
  {
    name: '--python-threads',
    value: 'N',
    help: 'requests each Python process serves at once, on as many threads (default 1)',
    apply: (o, v) => void (python(o).threads = integer('--python-threads', v, 1, 1024)),
  },
  {
    name: '--python-cwd',
    value: 'DIR',
    help: 'working directory of the Python processes, where modules are looked for first (default: the current one)',
    apply: (o, v) => void (python(o).cwd = v),
  },
  {
    name: '--python-path',
    value: 'DIR',
    help: 'one more directory to import from (PYTHONPATH), relative to --python-cwd',
    repeatable: true,
    apply: (o, v) => {
      const list = (python(o).path ??= []) as string[];
      list.push(v);
    },
  },
];
