// ts-init-probe's command line: parse, run the probe, print, choose the exit status.
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FatalError } from '../shared/errors.js';
import { packageVersion } from '../shared/version.js';
import { undoAll } from './cleanup.js';
import { renderJunit } from './junit.js';
import { parseProbeArgs, probeUsage } from './options.js';
import { PACKAGE_ROOT } from './package.js';
import { renderJson, renderTable } from './report.js';
import { probe } from './run.js';

/** Exit statuses, as documented in docs/probe.md. */
export const PROBE_EXIT = { pass: 0, fail: 1, usage: 2 } as const;

export interface ProbeIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: ProbeIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function version(): string {
  return packageVersion(PACKAGE_ROOT);
}

/** Why FILE cannot be written, checked before the probe runs for minutes; undefined when it can. */
function unwritable(file: string): string | undefined {
  try {
    accessSync(dirname(resolve(file)), constants.W_OK);
    return undefined;
  } catch (error) {
    return `cannot write --junit file '${file}': ${(error as NodeJS.ErrnoException).code ?? String(error)} on its directory`;
  }
}

export async function probeMain(args: readonly string[], io: ProbeIo = processIo): Promise<number> {
  const parsed = parseProbeArgs(args);
  switch (parsed.kind) {
    case 'help':
      io.out(probeUsage(version()));
      return PROBE_EXIT.pass;
    case 'version':
      io.out(`ts-init-probe version ${version()}\n`);
      return PROBE_EXIT.pass;
    case 'error':
      io.err(`ts-init-probe: ${parsed.message}\n${probeUsage(version())}`);
      return PROBE_EXIT.usage;
    case 'run':
      break;
  }
  const junitProblem = parsed.junit !== undefined ? unwritable(parsed.junit) : undefined;
  if (junitProblem !== undefined) {
    io.err(`ts-init-probe: ${junitProblem}\n`);
    return PROBE_EXIT.usage;
  }
  try {
    const report = await probe(parsed.options);
    io.out(parsed.json ? renderJson(report) : renderTable(report));
    if (parsed.junit !== undefined) writeFileSync(parsed.junit, renderJunit(report));
    return report.exitCode;
  } catch (error) {
    if (error instanceof FatalError) {
      io.err(`ts-init-probe: ${error.message}\n`);
      return error.exitCode;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (parsed.junit !== undefined && typeof code === 'string' && (error as NodeJS.ErrnoException).syscall === 'open') {
      io.err(`ts-init-probe: cannot write --junit file '${parsed.junit}': ${code}\n`);
      return PROBE_EXIT.usage;
    }
    throw error;
  }
}

// Removing containers asks the engine, which takes a moment; a probe that
// does not end soon after Ctrl-C is worse than a leftover the next run removes.
const UNDO_LIMIT_MS = 30_000;

/**
 * The bin's entry. Ctrl-C, SIGTERM and SIGHUP remove what the probe has
 * made (namespace, containers, temporary files) and then exit 128 + N.
 */
export async function run(): Promise<void> {
  // process.on, not once: execa's signal-exit re-raises a signal that no
  // other listener handles, so ours must stay installed while we clean up
  // (with `once`, a second look found only signal-exit's and it killed us).
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      void undoAll(UNDO_LIMIT_MS).finally(() => process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129));
    });
  }
  try {
    process.exitCode = await probeMain(process.argv.slice(2));
  } catch (error) {
    await undoAll(UNDO_LIMIT_MS);
    process.stderr.write(`ts-init-probe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = PROBE_EXIT.usage;
  }
}
