#!/usr/bin/env node
// codis-proxy: the Redis-protocol proxy with its admin API (spec/proxy.md §1, §13); the program
// itself is proxy-program.ts.
//
// Node runs it with `--single-threaded-gc` (cli/v8-flags.ts). With V8's default helper threads, a
// proxy pinned to one CPU, as in the benchmark, waits for helpers that cannot run beside it: in
// front of two redis-servers, its p99 was 22-39 ms against 7-16 ms single-threaded, at the same or
// lower CPU per request (bench/RESULTS.md, session 6). CODIS_PROXY_V8_FLAGS replaces the list
// (space separated; empty = Node's defaults). The flags are set before the program is loaded, so
// a restart does not compile it twice.
import { ensureV8Flags } from './v8-flags.ts';

ensureV8Flags('CODIS_PROXY_V8_FLAGS', ['--single-threaded-gc']);
await import('./proxy-program.ts');
