// ts-init-probe's command line: parse, run the probe, print, choose the exit status.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probe, ProbeEnvironmentError } from './probe.js';
import { killAllNamespaces } from './probe-namespace.js';
import { parseProbeArgs, probeUsage } from './probe-options.js';
import { renderJson, renderTable } from './probe-report.js';

/** Exit statuses, as documented in the README. */
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
  try {
    const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
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
  try {
    const report = await probe(parsed.options);
    io.out(parsed.json ? renderJson(report) : renderTable(report));
    return report.exitCode;
  } catch (error) {
    if (error instanceof ProbeEnvironmentError) {
      io.err(`ts-init-probe: ${error.message}\n`);
      return PROBE_EXIT.usage;
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
