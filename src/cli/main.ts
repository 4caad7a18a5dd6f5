#!/usr/bin/env node
/**
 * The `tickguard` command: dispatches to its subcommands. Exit codes: 0 done, 1 the command
 * ran and found a failure, 2 the command line was wrong (the message and usage go to stderr).
 */
import { closest } from '../closest.js';
import { packageVersion } from './version.js';

const COMMANDS = ['lab', 'help'] as const;

const USAGE = `Usage: tickguard <command> [options]

Commands:
  lab            reproduce the tick avalanche next to tickguard's three fixes,
                 and replicas that run each tick once through Redis or PostgreSQL
  help [lab]     show this help, or the help of a command

Options:
  -h, --help     show this help
  -v, --version  print the version

Run "tickguard lab --help" for the lab's options.`;

/** Runs the command line `argv` (without node and the script) and resolves with the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'lab': {
      const { runLabCommand } = await import('./lab/lab.js');
      return runLabCommand(rest);
    }
    case 'help':
    case '--help':
    case '-h':
      if (rest[0] === 'lab') {
        const { LAB_USAGE } = await import('./lab/args.js');
        process.stdout.write(`${LAB_USAGE}\n`);
        return 0;
      }
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    case '__lab-worker': {
      const { runStrategyWorker } = await import('./lab/strategy-worker.js');
      return runStrategyWorker(rest);
    }
    case '__lab-replica': {
      const { runReplicaWorker } = await import('./lab/replica-worker.js');
      return runReplicaWorker(rest);
    }
    case undefined:
      process.stderr.write(`tickguard: a command is needed\n\n${USAGE}\n`);
      return 2;
    default: {
      const hint = closest(command.replace(/^-+/, ''), COMMANDS);
      process.stderr.write(`tickguard: unknown command ${JSON.stringify(command)}${hint === undefined ? '' : `; did you mean "${hint}"?`}\n\n${USAGE}\n`);
      return 2;
    }
  }
}

// `tickguard lab --json | head` closes stdout early: that is the reader's choice, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    // A worker exits at once: a naive strategy leaves timers that would keep it alive forever.
    if (argv[0] === '__lab-worker' || argv[0] === '__lab-replica') process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tickguard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
