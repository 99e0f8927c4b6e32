// The probe's public error, in a module of its own: the package's type
// declarations (dist/index.d.ts) reach it without reaching namespace.ts,
// whose declarations name execa's types, and execa is bundled, not installed.
import { FatalError } from '../shared/errors.js';

/** A problem with the probe's surroundings, not with PROGRAM: exit status 2. */
export class ProbeEnvironmentError extends FatalError {
  constructor(message: string) {
    super(message, 2);
  }
}
