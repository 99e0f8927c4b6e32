// Fixture images for test/probe/image.test.ts, built with podman and no
// registry: the e2e base image (test/e2e/base-image.sh: this machine's node
// and its libraries, npm, busybox-static) and, on top of it, one small image
// per Dockerfile in test/probe/images/. Images are named
// localhost/ts-init-probe-test-NAME:PID and removed by removeImages().
//
// podman needs two settings on our machines (runc instead of crun, explicit
// ulimits; docs/probe.md says why): they go into a containers.conf of our
// own, used through CONTAINERS_CONF, so nothing in /etc is touched.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { which } from '../../../src/shared/path.js';
import { ROOT } from '../../helpers/harness.js';

export const IMAGES_DIR = join(ROOT, 'test/probe/images');
export const PODMAN = which('podman');

export type Fixture = 'server' | 'tsinit' | 'noexec' | 'passwd' | 'noshell' | 'static';
const FIXTURES: readonly Fixture[] = ['server', 'tsinit', 'noexec', 'passwd', 'noshell', 'static'];

export const tag = (name: string): string => `localhost/ts-init-probe-test-${name}:${process.pid}`;

/** Runs podman with our containers.conf; never throws, bounded. */
export async function podman(args: readonly string[], timeoutMs = 300_000): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const r = await execa(PODMAN ?? 'podman', args, { reject: false, timeout: timeoutMs, killSignal: 'SIGKILL', stdin: 'ignore' });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Writes the containers.conf podman needs here and points CONTAINERS_CONF
 * at it, for podman and for every probe this process starts.
 */
export async function configurePodman(dir: string): Promise<void> {
  const hard = (await execa('sh', ['-c', 'ulimit -Hn'])).stdout.trim();
  const nofile = /^\d+$/.test(hard) ? hard : '1024';
  const conf = join(dir, 'containers.conf');
  writeFileSync(
    conf,
    [
      '[containers]',
      // Root here lacks CAP_SYS_RESOURCE: podman's default rlimits cannot be set; nproc at most 32768.
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=32768:32768"]`,
      '[engine]',
      // crun 1.8 refuses a hybrid cgroup v1/v2 layout; runc does not.
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'),
  );
  process.env.CONTAINERS_CONF = conf;
}

/**
 * How ts-init gets into a fixture image: THE ONE PLACE to change when the
 * package is renamed or bundled. Stages `<ctx>/ts-init/` as an install of
 * this package would lay it out (usr/local/lib/node_modules/<name> with
 * bin/, dist/ and the addon: the package has no runtime dependencies, and a
 * ts-init link in usr/local/bin), for a Dockerfile to `COPY ts-init/ /`. The built package
 * is copied as it is (npm run build first), no npm pack and no registry.
 */
export async function stageTsInit(ctx: string): Promise<void> {
  const name = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string }).name;
  const pkg = join(ctx, 'ts-init/usr/local/lib/node_modules', name);
  mkdirSync(pkg, { recursive: true });
  for (const item of ['package.json', 'bin', 'dist', 'prebuilds', 'build/Release/ts_init.node']) {
    cpSync(join(ROOT, item), join(pkg, item), { recursive: true });
  }
  mkdirSync(join(ctx, 'ts-init/usr/local/bin'), { recursive: true });
  symlinkSync(`../lib/node_modules/${name}/bin/ts-init`, join(ctx, 'ts-init/usr/local/bin/ts-init'));
}

/** Files from this machine with the shared libraries they need, under `<ctx>/host/` at the same paths. */
async function stageHostFiles(ctx: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [from, to] of Object.entries(files)) {
    const libs = (await execa('ldd', [from], { reject: false })).stdout.match(/\/\S+/g) ?? [];
    for (const lib of libs) {
      // Under the path the dynamic linker asks for, dereferenced (merged /usr: the base image links /lib to usr/lib).
      const dest = join(ctx, 'host/usr', lib.replace(/^\/usr/, ''));
      mkdirSync(dirname(dest), { recursive: true });
      cpSync(lib, dest, { dereference: true });
    }
    mkdirSync(dirname(join(ctx, 'host', to)), { recursive: true });
    cpSync(from, join(ctx, 'host', to), { dereference: true });
  }
}

/** The libnss_wrapper of this machine (Debian: libnss-wrapper). */
const NSS_WRAPPER = '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so';

/**
 * Builds the base image and every fixture image; returns their tags. Throws
 * with podman's output when something cannot be built.
 */
export async function buildImages(): Promise<Record<Fixture | 'base', string>> {
  const work = mkdtempSync(join(tmpdir(), 'ts-init-probe-images-'));
  try {
    const base = tag('base');
    const b = await execa('bash', [join(ROOT, 'test/e2e/base-image.sh'), base], { reject: false, timeout: 600_000, all: true });
    if (b.exitCode !== 0) throw new Error(`building the base image failed:\n${b.all}`);
    const ctx = join(work, 'ctx');
    cpSync(IMAGES_DIR, ctx, { recursive: true });
    await stageTsInit(ctx);
    await stageHostFiles(ctx, {
      [NSS_WRAPPER]: NSS_WRAPPER,
      '/usr/bin/getent': '/usr/local/bin/getent',
      '/usr/bin/id': '/usr/local/bin/id',
    });
    const tags = { base } as Record<Fixture | 'base', string>;
    for (const name of FIXTURES) {
      // --layers=false: no intermediate images (a multi-stage build's first stage would stay behind, untagged).
      const r = await podman(
        [
          'build',
          '--layers=false',
          '--label',
          `${BUILT_BY}=${process.pid}`,
          '--network=none',
          '--pull=never',
          '--build-arg',
          `BASE=${base}`,
          '-f',
          join(ctx, `Dockerfile.${name}`),
          '-t',
          tag(name),
          ctx,
        ],
        600_000,
      );
      if (r.exitCode !== 0) throw new Error(`podman build of Dockerfile.${name} failed:\n${r.stdout}\n${r.stderr}`);
      tags[name] = tag(name);
    }
    return tags;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The label on every image this process builds. */
const BUILT_BY = 'ts-init-probe-test';

/** Removes the images this process built (and nothing else); returns the ids of any still there. */
export async function removeImages(): Promise<string[]> {
  await podman(['rmi', '--force', ...FIXTURES.map(tag), tag('base')], 120_000);
  const left = await podman(['images', '--all', '--quiet', '--filter', `label=${BUILT_BY}=${process.pid}`], 60_000);
  return left.stdout.split('\n').filter(Boolean);
}

/** Names of containers made by the probe running as process `pid` (its names say so), stopped ones included. */
export async function containersOfProbe(pid: number): Promise<string[]> {
  const r = await podman(['ps', '--all', '--filter', 'label=ts-init-probe.owner', '--format', '{{.Names}}'], 60_000);
  return r.stdout.split('\n').filter((name) => name.startsWith(`ts-init-probe-${pid}-`));
}
