// What the probe needs to know about an image before it runs it: its
// ENTRYPOINT and CMD (to put an init in front of them), and whether it has
// Node.js and a shell (for ts-init itself).
import { ProbeEnvironmentError } from '../namespace.js';
import { firstLine, type Engine } from './engine.js';
import { containerName, labelArgs } from './leftovers.js';

export interface ImageConfig {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** ENTRYPOINT and CMD of the image; pulls it first when the engine does not have it. */
export async function inspectImage(engine: Engine, image: string): Promise<ImageConfig> {
  const ask = (): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> =>
    engine.cli(['image', 'inspect', '--format', '{{json .Config}}', image], 60_000);
  let r = await ask();
  if (r.exitCode !== 0) {
    const pull = await engine.cli(['pull', image], 30 * 60_000);
    if (pull.exitCode !== 0)
      throw new ProbeEnvironmentError(
        `image '${image}' is not in ${engine.name}'s store and \`${engine.name} pull\` failed: ${firstLine(pull.stderr) || firstLine(r.stderr)}`,
      );
    r = await ask();
    if (r.exitCode !== 0) throw new ProbeEnvironmentError(`cannot inspect image '${image}': ${firstLine(r.stderr)}`);
  }
  let config: Record<string, unknown>;
  try {
    config = (JSON.parse(r.stdout) ?? {}) as Record<string, unknown>;
  } catch {
    throw new ProbeEnvironmentError(`cannot read the configuration of image '${image}' from \`${engine.name} image inspect\``);
  }
  return { entrypoint: strings(config.Entrypoint), cmd: strings(config.Cmd) };
}

export type NodeInImage = { readonly version: string; readonly shell: boolean } | { readonly missing: string };

// Node's version, and whether /bin/sh exists (ts-init's launcher is a shell script).
const PROBE_NODE = 'console.log(process.versions.node+" "+require("fs").existsSync("/bin/sh"))';

/** Whether the image can run ts-init: Node.js 20 or later on its PATH. */
export async function nodeInImage(engine: Engine, image: string, runArgs: readonly string[]): Promise<NodeInImage> {
  const r = await engine.cli(['run', '--rm', '--name', containerName(), ...labelArgs(), ...runArgs, '--entrypoint', 'node', image, '-e', PROBE_NODE], 120_000);
  const m = /^(\d+)\.\d+\.\d+ (true|false)$/m.exec(r.stdout);
  if (r.exitCode !== 0 || m === null) return { missing: 'the image has no node on its PATH, which ts-init needs' };
  if (Number(m[1]) < 20) return { missing: `the image's node is ${m[0].split(' ')[0] ?? ''}; ts-init needs Node.js 20 or later` };
  return { version: m[0].split(' ')[0] ?? '', shell: m[2] === 'true' };
}
