import type { ChildProcess } from "node:child_process";

/**
 * Children this process started (Loki, Redis). They are killed when this
 * process exits for any reason, including Ctrl-C and test-runner interrupts,
 * so nothing is left running.
 */
const children = new Set<ChildProcess>();
let hooked = false;

export function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, function onSignal() {
      // When the program has its own handler (the demo's graceful stop), let it
      // run; the exit hook still kills whatever is left.
      if (process.listeners(signal).some((l) => l !== onSignal)) return;
      killAll();
      process.exit(130);
    });
  }
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. Resolves when the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
