// The one error idiom: input is checked by functions that return a problem
// (a message) or nothing; anything that stops ts-init or the probe from
// going on throws a FatalError, and only the two `main`s catch it, say it
// in one line and exit with its code. Nothing else exits.

export class FatalError extends Error {
  constructor(
    message: string,
    /** The exit status the command ends with (documented in the README). */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
