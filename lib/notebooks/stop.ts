/**
 * Stopping a long cell: interrupting a tslab kernel (■ or I,I) sends it SIGINT; tslab then rejects
 * the running cell, but an awaited async loop (a replay, a consumer) keeps running in the background.
 * An AbortController wired to that SIGINT stops the loop itself.
 */

/** What {@link stopOnInterrupt} returns: abort it by hand, or let a kernel interrupt do it. */
export interface InterruptStop extends AbortController {
  /** Stops listening for interrupts (done automatically once aborted). */
  dispose(): void;
}

/**
 * An AbortController that aborts on the next kernel interrupt (SIGINT), so the replay or consumer
 * given its `signal` stops cleanly and closes its clients. Create one per long-running cell.
 *
 * The SIGINT listener is added on the next turn of the event loop, not at once: tslab runs a cell's
 * code inside `vm.runInThisContext({ breakOnSigint: true })`, and a SIGINT listener added during
 * that call is lost when Node restores its signal handler afterwards — which also silences tslab's
 * own interrupt handling for the rest of the kernel's life (seen on Node 20).
 * Listening for SIGINT replaces Node's default exit-on-Ctrl-C while it is active: meant for
 * notebooks (tslab already listens), not for command-line programs.
 *
 * @example
 * // cell 1: start the run (declarations of an interrupted cell are forgotten by tslab)
 * const stop = stopOnInterrupt();
 * const running = replay({ data: params.data, sinks: sink, signal: stop.signal });
 * // cell 2: wait; interrupt the kernel (■) and the replay finishes its batch, closes the sink and ends
 * const summary = await running; // run it again after an interrupt: summary.stopReason === "aborted"
 * // or, from any cell: stop.abort()
 */
export function stopOnInterrupt(): InterruptStop {
  const controller = new AbortController() as InterruptStop;
  const onInterrupt = (): void => controller.abort();
  let disposed = false;
  const pending = setImmediate(() => {
    if (!disposed) process.on("SIGINT", onInterrupt);
  });
  const dispose = (): void => {
    disposed = true;
    clearImmediate(pending);
    process.off("SIGINT", onInterrupt);
  };
  controller.signal.addEventListener("abort", dispose, { once: true });
  controller.dispose = dispose;
  return controller;
}
