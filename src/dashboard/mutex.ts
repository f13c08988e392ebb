// One mutex around every topology operation (spec/control-plane.md §15: cache refill, validation,
// writes and proxy pushes are serialized); background loops take it only briefly per step.

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A pause that ends early when kicked: a loop waits on it, work arriving wakes the loop at once. */
export class Wakeup {
  private kicked = false;
  private wake: (() => void) | undefined;

  /** Ends the current wait, or the next one at once when no one is waiting. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** Waits `ms` (or until `signal` aborts or kick()). */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.kicked) {
      this.kicked = false;
      return;
    }
    const inner = new AbortController();
    const onAbort = (): void => inner.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.wake = onAbort;
    try {
      await sleep(ms, inner.signal);
    } finally {
      this.wake = undefined;
      this.kicked = false;
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
