// Loaded into every test file's process (scripts/run-tests.ts passes it with --import). A test
// file's process sends its results to the runner through its stdout, a pipe, which Node writes
// asynchronously on Linux; --test-force-exit ends the process once its tests are done, and whatever
// was still queued for the pipe was lost: the run passed with the last results of some files
// missing (nodejs/node#64833; reproduced here: 40 files of 50 tests, 1,926-1,981 of 2,000 results
// in 3 runs of 9). Blocking writes leave nothing queued at the exit.
const stdout = process.stdout as typeof process.stdout & {
  _handle?: { setBlocking?: (blocking: boolean) => void };
};
stdout._handle?.setBlocking?.(true);
