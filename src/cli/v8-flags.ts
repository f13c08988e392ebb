// The long-lived programs (codis-server, codis-proxy) run under Node with V8 flags of their own,
// chosen from measurements (bench/RESULTS.md: "codis-server's V8 flags", session 6 for the proxy).
// The flags have to be on Node's command line: V8 reads its GC thread settings when the isolate
// starts (setting them later with v8.setFlagsFromString is ignored for the scavenger, and aborts
// the process for concurrent marking), so the program replaces itself with a Node started with them
// (process.execve: same pid, same file descriptors, so signals and exit codes stay the caller's).

/**
 * Restarts this program under Node with `defaults`, or with the flags of the environment variable
 * `variable` when it is set (space separated; empty = Node's defaults), unless they are already on
 * the command line. Returns only when there is nothing to do or no way to do it (no execve).
 */
export function ensureV8Flags(variable: string, defaults: readonly string[]): void {
  const configured = process.env[variable];
  const flags = configured === undefined ? defaults : configured.split(/\s+/).filter((flag) => flag !== '');
  const entry = process.argv[1];
  if (
    flags.some((flag) => !process.execArgv.includes(flag)) &&
    typeof process.execve === 'function' &&
    entry !== undefined
  ) {
    process.execve(process.execPath, [
      process.execPath,
      ...flags,
      ...process.execArgv,
      entry,
      ...process.argv.slice(2),
    ]);
  }
}
