// Runs the test suites. `node scripts/run-tests.ts [suite | file ...]`, where a suite is unit
// (src/**/*.test.ts), integration (test/integration), coordinator (the Store contract suite), e2e
// or browser (codis-fe in Debian's chromium); no argument means every suite.
//
// Each test file runs in a process of its own (`node --test --test-isolation=none FILE`, two at a
// time) whose output goes to a file, not a pipe: Node writes to a file synchronously, so a process
// ended by --test-force-exit loses none of its results, where through Node's own multi-file runner
// the end of a file's results could vanish (nodejs/node#64833). This runner watches every file: one
// that has not finished after TEST_FILE_TIMEOUT_S seconds (600 by default) is killed with everything
// it started, after its JavaScript stack was printed (through the inspector), and run once more; the
// run fails if it hangs again. A run once stopped for 85 minutes at one test file that passes in a
// second (CI's time ran out with no clue); now a hang costs at most the timeout and names itself.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  globSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const SUITES: Record<string, string[]> = {
  unit: ['src/**/*.test.ts'],
  integration: ['test/integration/**/*.test.ts'],
  coordinator: ['test/coordinator/**/*.test.ts'],
  e2e: ['test/e2e/**/*.test.ts'],
  browser: ['test/browser/**/*.test.ts'],
};

const CONCURRENCY = positiveNumber('TEST_CONCURRENCY', 2);
const FILE_TIMEOUT_MS = positiveNumber('TEST_FILE_TIMEOUT_S', 600) * 1000;
/** How long a hung file's process gets to show its stack before it is killed. */
const STACK_WAIT_MS = 5000;
/** How long a killed file's process gets to be reported gone. */
const EXIT_WAIT_MS = 10_000;
/** A line naming the running files when none finished for this long. */
const QUIET_NOTICE_MS = 60_000;

function positiveNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} must be a positive number, got '${text}'`);
    process.exit(2);
  }
  return value;
}

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(SUITES);
const files: string[] = [];
for (const name of names) {
  const patterns = SUITES[name];
  if (patterns !== undefined) for (const pattern of patterns) files.push(...globSync(pattern).sort());
  else if (name.endsWith('.ts') && existsSync(name)) files.push(name);
  else {
    console.error(`unknown suite '${name}'; known: ${Object.keys(SUITES).join(', ')}, or a test file`);
    process.exit(2);
  }
}
if (files.length === 0) {
  console.error(`no test files for ${names.join(', ')}`);
  process.exit(1);
}

// Every Node process of the run (the test files and the servers, proxies and dashboards they start)
// shares Node's on-disk module compile cache: a codis-server then starts in ~0.4 s of CPU instead
// of ~1 s, most of which went to type-stripping and compiling the same sources again in each of the
// hundreds of processes a run starts.
const compileCache =
  process.env.NODE_COMPILE_CACHE ??
  join(import.meta.dirname, '..', 'node_modules', '.cache', 'codis-compile-cache');
const env = { ...process.env, NODE_COMPILE_CACHE: compileCache };
const workDir = mkdtempSync(join(tmpdir(), 'codis-tests-'));

/** The `ℹ name N` lines the spec reporter ends a run with. */
interface Counts {
  tests: number;
  suites: number;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  todo: number;
}
const COUNT_NAMES = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;
const COUNT_LINES = new RegExp(`^ℹ (?:${COUNT_NAMES.join('|')}|duration_ms) [\\d.]+\n`, 'gm');

interface Outcome {
  file: string;
  seconds: number;
  counts: Counts | null;
  /** Why the file failed, or null when it passed. */
  failure: string | null;
}

interface Running {
  file: string;
  attempt: number;
  child: ChildProcess;
  started: number;
  outputPath: string;
  timer: NodeJS.Timeout;
  hungStack: string | null;
  done: boolean;
}

const running = new Set<Running>();
const outcomes: Outcome[] = [];
const hangs: string[] = [];
let next = 0;
let startedCount = 0;
let lastFinish = Date.now();
const runStarted = Date.now();

function startFile(file: string, attempt: number): void {
  const tag = String(startedCount++);
  const outputPath = join(workDir, `${tag}.out`);
  const output = openSync(outputPath, 'w');
  const child = spawn(
    process.execPath,
    [
      '--test',
      '--test-isolation=none',
      '--test-timeout=300000',
      '--test-force-exit',
      '--test-reporter=spec',
      // The inspector a hang opens (SIGUSR1) listens on a free port, never a fixed one.
      '--inspect-port=127.0.0.1:0',
      file,
    ],
    // Its own process group: a hung file is killed with every process it started.
    { stdio: ['ignore', output, output], env, detached: true },
  );
  closeSync(output);
  const entry: Running = {
    file,
    attempt,
    child,
    started: Date.now(),
    outputPath,
    timer: setTimeout(() => hung(entry), FILE_TIMEOUT_MS),
    hungStack: null,
    done: false,
  };
  running.add(entry);
  child.once('exit', (code, signal) => finished(entry, code, signal));
  // A process that could not be started (no 'exit' follows).
  child.once('error', (error) => {
    appendFileSync(outputPath, `could not start the test process: ${error.message}\n`);
    finished(entry, null, null);
  });
}

function hung(entry: Running): void {
  const pid = entry.child.pid;
  if (pid === undefined) return;
  void pausedStack(entry).then((stack) => {
    entry.hungStack = stack;
    killGroup(pid);
    // Should its exit never be reported, the run goes on without it.
    setTimeout(() => finished(entry, null, 'SIGKILL'), EXIT_WAIT_MS).unref();
  });
}

/**
 * The hung process's JavaScript stack, read through the inspector: SIGUSR1 makes Node open it even
 * while JavaScript runs without end (a JS signal handler, as a diagnostic report's, would never run
 * then), and Debugger.pause interrupts that code.
 */
async function pausedStack(entry: Running): Promise<string> {
  const deadline = Date.now() + STACK_WAIT_MS;
  try {
    process.kill(entry.child.pid as number, 'SIGUSR1');
    let url: string | undefined;
    while (url === undefined && Date.now() < deadline) {
      url = /Debugger listening on (ws:\/\/\S+)/.exec(readFileSync(entry.outputPath, 'utf8'))?.[1];
      if (url === undefined) await delay(100);
    }
    if (url === undefined) return '(no stack: the inspector did not open)';
    const socket = new WebSocket(url);
    try {
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no Debugger.paused')), deadline - Date.now());
        socket.onerror = () => reject(new Error('inspector connection failed'));
        socket.onopen = () => {
          socket.send(JSON.stringify({ id: 1, method: 'Debugger.enable' }));
          socket.send(JSON.stringify({ id: 2, method: 'Debugger.pause' }));
        };
        // Debugger.enable first names every script, by id, in Debugger.scriptParsed events.
        const scripts = new Map<string, string>();
        socket.onmessage = (event) => {
          const message = JSON.parse(String(event.data)) as InspectorEvent;
          if (message.method === 'Debugger.scriptParsed')
            scripts.set(message.params.scriptId, message.params.url);
          if (message.method !== 'Debugger.paused') return;
          clearTimeout(timer);
          const frames = message.params.callFrames.slice(0, 20);
          resolve(frames.map((frame) => frameLine(frame, scripts)).join('\n'));
        };
      });
    } finally {
      socket.close();
    }
  } catch (error) {
    return `(no stack: ${(error as Error).message})`;
  }
}

interface CallFrame {
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}
type InspectorEvent =
  | { method: 'Debugger.scriptParsed'; params: { scriptId: string; url: string } }
  | { method: 'Debugger.paused'; params: { callFrames: CallFrame[] } }
  | { method?: undefined };

function frameLine(frame: CallFrame, scripts: Map<string, string>): string {
  const { scriptId, lineNumber, columnNumber } = frame.location;
  const where = `${scripts.get(scriptId) ?? `script ${scriptId}`}:${lineNumber + 1}:${columnNumber + 1}`;
  return `    at ${frame.functionName || '<anonymous>'} (${where})`;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
}

function finished(entry: Running, code: number | null, signal: NodeJS.Signals | null): void {
  if (entry.done) return;
  entry.done = true;
  clearTimeout(entry.timer);
  running.delete(entry);
  lastFinish = Date.now();
  // Whatever the file's tests left running goes with it (test/helpers/child-reaper.ts should have
  // ended them already).
  if (entry.child.pid !== undefined) killGroup(entry.child.pid);
  const seconds = (Date.now() - entry.started) / 1000;
  const output = readFileSync(entry.outputPath, 'utf8');
  const hungNow = entry.hungStack !== null;
  // The file's own count lines are left for the run's total.
  const shown = output.replace(COUNT_LINES, '');
  process.stdout.write(
    `\n── ${entry.file} (${seconds.toFixed(1)} s${entry.attempt > 1 ? ', second run' : ''})\n`,
  );
  process.stdout.write(shown.endsWith('\n') || shown === '' ? shown : `${shown}\n`);

  if (hungNow) {
    const note = `${entry.file} did not finish in ${FILE_TIMEOUT_MS / 1000} s${entry.attempt > 1 ? ' again' : ''}; its JavaScript stack then:\n${entry.hungStack}`;
    process.stdout.write(`\n!! ${note}\n`);
    hangs.push(note);
    if (entry.attempt === 1) {
      process.stdout.write(`!! killed with the processes it started; running ${entry.file} once more\n`);
      startFile(entry.file, 2);
      return;
    }
  }
  const counts = parseCounts(output);
  let failure: string | null = null;
  if (hungNow) failure = 'hung twice';
  else if (counts === null)
    failure = `ended (${signal ?? `exit code ${code}`}) before its tests finished: no summary`;
  else if (code !== 0 || signal !== null) failure = `failed (${signal ?? `exit code ${code}`})`;
  else if (counts.tests === 0) failure = 'reported no test';
  else if (counts.fail > 0 || counts.cancelled > 0) failure = 'failed';
  outcomes.push({ file: entry.file, seconds, counts, failure });
  fill();
}

function parseCounts(output: string): Counts | null {
  const counts: Partial<Record<keyof Counts, number>> = {};
  for (const name of COUNT_NAMES) {
    const matches = [...output.matchAll(new RegExp(`^ℹ ${name} (\\d+)$`, 'gm'))];
    const last = matches.at(-1);
    if (last === undefined) return null;
    counts[name] = Number(last[1]);
  }
  return counts as Counts;
}

function fill(): void {
  while (running.size < CONCURRENCY && next < files.length) startFile(files[next++] as string, 1);
  if (running.size === 0 && next >= files.length) summarize();
}

function summarize(): void {
  clearInterval(quietNotice);
  process.off('SIGINT', interrupted);
  process.off('SIGTERM', interrupted);
  const total: Counts = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  for (const outcome of outcomes)
    if (outcome.counts !== null) for (const name of COUNT_NAMES) total[name] += outcome.counts[name];
  const failed = outcomes.filter((outcome) => outcome.failure !== null);
  const lines = [
    '',
    `══ ${outcomes.length} files, ${((Date.now() - runStarted) / 1000).toFixed(1)} s`,
    ...COUNT_NAMES.map((name) => `ℹ ${name} ${total[name]}`),
  ];
  const slowest = [...outcomes].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
  lines.push(
    `slowest: ${slowest.map((outcome) => `${outcome.file} ${outcome.seconds.toFixed(1)} s`).join(', ')}`,
  );
  if (hangs.length > 0) lines.push('', `Files that hung (${hangs.length}):`, ...hangs);
  if (failed.length > 0)
    lines.push('', 'Failed files:', ...failed.map((outcome) => `✖ ${outcome.file}: ${outcome.failure}`));
  process.stdout.write(`${lines.join('\n')}\n`);
  rmSync(workDir, { recursive: true, force: true });
  // No process.exit: a pipe's queued output would be lost with it.
  process.exitCode = failed.length > 0 ? 1 : 0;
}

function interrupted(signal: NodeJS.Signals): void {
  process.stdout.write(
    `\nInterrupted (${signal}) while running: ${[...running].map((entry) => entry.file).join(', ')}\n`,
  );
  for (const entry of running) if (entry.child.pid !== undefined) killGroup(entry.child.pid);
  rmSync(workDir, { recursive: true, force: true });
  process.exit(130);
}
process.on('SIGINT', interrupted);
process.on('SIGTERM', interrupted);

const quietNotice = setInterval(() => {
  if (Date.now() - lastFinish < QUIET_NOTICE_MS) return;
  const now = Date.now();
  const list = [...running].map((entry) => `${entry.file} (${Math.round((now - entry.started) / 1000)} s)`);
  process.stdout.write(`… still running: ${list.join(', ')}\n`);
  lastFinish = now;
}, 10_000);

fill();
