// Waiting until PROGRAM is up: a fixed settle time, or a server answering.
// A PID namespace shares the network with the host; a container's port is
// published to 127.0.0.1 and reached there (Target.hostAddress).
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Address, Target } from './target.js';
import type { Readiness } from './types.js';

export interface ReadyOptions {
  readonly settleMs: number;
  readonly readyUrl?: string | undefined;
  readonly readyPort?: number | undefined;
  readonly readyTimeoutMs: number;
}

// Docker's userland proxy (docker-proxy) accepts a connection on the
// published port before it knows whether anything listens inside, and hangs
// up when nothing does. So through an engine a port counts as open when the
// connection is still up this long after connecting.
const PROXY_HOLD_MS = 250;

function portOpen(address: Address): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => {
      if (address.proxied !== true) done(true);
      else setTimeout(() => done(true), PROXY_HOLD_MS);
    });
    socket.once('end', () => done(false));
    socket.once('close', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function urlAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
    await response.body?.cancel();
    return response.status < 500;
  } catch {
    return false;
  }
}

/** The URL to ask from this machine: --ready-url with the host and port where the target's port is reached. */
async function reachableUrl(target: Target, readyUrl: string): Promise<string | undefined> {
  const url = new URL(readyUrl);
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const address = await target.hostAddress(port);
  if (address === undefined) return undefined;
  url.hostname = address.host;
  url.port = String(address.port);
  return url.toString();
}

export async function waitUntilUp(target: Target, options: ReadyOptions, startedAt: number): Promise<Readiness> {
  const { readyUrl, readyPort } = options;
  if (readyUrl === undefined && readyPort === undefined) {
    const until = startedAt + options.settleMs;
    while (!(await target.ended()) && performance.now() < until) await sleep(Math.min(20, until - performance.now()));
    return { how: 'settle', ready: !(await target.ended()), ms: performance.now() - startedAt };
  }
  const how = readyUrl !== undefined ? 'url' : 'port';
  const until = startedAt + options.readyTimeoutMs;
  let url: string | undefined;
  let address: Address | undefined;
  while (!(await target.ended()) && performance.now() < until) {
    // Asked again until known: an engine reports a published port once the container runs.
    if (readyUrl !== undefined) url ??= await reachableUrl(target, readyUrl);
    else address ??= await target.hostAddress(readyPort ?? 0);
    const up = url !== undefined ? await urlAnswers(url) : address !== undefined ? await portOpen(address) : false;
    if (up && !(await target.ended())) return { how, ready: true, ms: performance.now() - startedAt };
    await sleep(50);
  }
  return { how, ready: false, ms: performance.now() - startedAt };
}
