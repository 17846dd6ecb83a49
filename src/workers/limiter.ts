// At most `n` tasks at once; the others wait their turn in arrival order. A task may give its slot
// back before it ends (`release`): what it still does then (a write after a provider call) no longer
// keeps the next one waiting.

export type Limiter = <T>(task: (release: () => void) => Promise<T>) => Promise<T>;

export function createLimiter(n: number): Limiter {
  let active = 0;
  const waiting: Array<() => void> = [];
  const free = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async (task) => {
    // A freed slot passes straight to the next waiter, so `active` never overshoots n.
    if (active < n) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      free();
    };
    try {
      return await task(release);
    } finally {
      release();
    }
  };
}
