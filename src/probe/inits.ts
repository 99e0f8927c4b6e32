// Telling an init from the program it runs: the user check must look up
// names in PROGRAM's environment, and an init (ts-init --fix-user above all)
// gives its child an environment of its own.
import { basename } from 'node:path';

// By the name of their executable; ts-init is node running bin/ts-init
// (the script's name is the comm of its /bin/sh launcher).
const INITS = new Set(['ts-init', 'tini', 'tini-static', 'docker-init', 'dumb-init', 'catatonit', 'podman-init']);

/**
 * Whether a command starts with an init: any of its words before the second
 * `--` names one (the first may end a wrapper's options, as setpriv's; the
 * next ends the init's own). Catches `tini -- app`,
 * `node /usr/local/bin/ts-init -- app` and `setpriv … -- ts-init -- app` alike.
 */
export function isInitCommand(words: readonly string[]): boolean {
  let dashes = 0;
  for (const word of words) {
    if (word === '--' && ++dashes === 2) return false;
    if (INITS.has(basename(word))) return true;
  }
  return false;
}
