/** What each attack harness of `test/abuse/` gives `npm run bench -- abuse` (`bench/abuse.ts`). */
export interface AbuseBenchmark {
  /** The attack's full scale (issue 14's figures), printed and recorded with its outcome. */
  scale: unknown;
  /** Runs the attack at `scale`; `log` prints progress lines. */
  run(log: (line: string) => void): Promise<unknown>;
}
