/** The CLI's one error type: printed (message only) and turned into an exit code in `main` alone. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
