/**
 * Teardown steps run last-in, first-out, each attempted even when an earlier one fails: a
 * benchmark that dies halfway must still stop its servers and remove its temp dirs. On SIGINT or
 * SIGTERM the same steps run before the process exits, so Ctrl-C leaves nothing behind either.
 */
export class CleanupStack {
  readonly #steps: { name: string; run: () => Promise<unknown> }[] = [];
  #running: Promise<void> | undefined;

  defer(name: string, run: () => Promise<unknown>): void {
    this.#steps.push({ name, run });
  }

  /** Runs the steps deferred so far; a call during a run waits for that run. */
  run(): Promise<void> {
    this.#running ??= this.#runAll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #runAll(): Promise<void> {
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step.run();
      } catch (error) {
        console.error(
          `cleanup: ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  /**
   * Runs the steps on SIGINT/SIGTERM, then exits with the signal's conventional code. `beforeCleanup`
   * lets a parent pass the signal on to its child first. Returns a function removing the handlers.
   */
  onTermination(beforeCleanup?: (signal: NodeJS.Signals) => Promise<void>): () => void {
    let terminating = false;
    // Listening (not `once`) on purpose: a second signal (tsx relays the terminal's Ctrl-C, so it
    // arrives twice) must not kill the process halfway through its cleanup.
    const handler = (signal: NodeJS.Signals) => {
      if (terminating) return;
      terminating = true;
      console.error(`\n${signal}: cleaning up before exit (process ${process.pid})`);
      void (async () => {
        await beforeCleanup?.(signal).catch(() => undefined);
        await this.run();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      })();
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }
}
