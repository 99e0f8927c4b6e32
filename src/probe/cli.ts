// ts-init-probe's command line: parse, run the probe, print, choose the exit status.
import { FatalError } from '../shared/errors.js';
import { packageVersion } from '../shared/version.js';
import { killAllNamespaces } from './namespace.js';
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
  try {
    const report = await probe(parsed.options);
    io.out(parsed.json ? renderJson(report) : renderTable(report));
    return report.exitCode;
  } catch (error) {
    if (error instanceof FatalError) {
      io.err(`ts-init-probe: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

/** The bin's entry: Ctrl-C or SIGTERM take the probed namespace down with the probe. */
export async function run(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNamespaces();
      process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129);
    });
  }
  try {
    process.exitCode = await probeMain(process.argv.slice(2));
  } catch (error) {
    killAllNamespaces();
    process.stderr.write(`ts-init-probe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = PROBE_EXIT.usage;
  }
}
