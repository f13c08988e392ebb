#!/usr/bin/env node
// codis-admin: administer a Codis cluster (spec/control-plane.md §12.3).
import { runAdmin } from '../admin/index.ts';

// `codis-admin ... | head` closes stdout early: that is not a failure worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runAdmin(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
