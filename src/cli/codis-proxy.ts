#!/usr/bin/env node
// codis-proxy: the Redis-protocol proxy with its admin API (spec/proxy.md §1, §13); the program
// itself is proxy-program.ts.
//
// Node runs it with `--single-threaded-gc --max-semi-space-size=4` (cli/v8-flags.ts). With V8's
// default helper threads, a proxy pinned to one CPU, as in the benchmark, waits for helpers that
// cannot run beside it: in front of two redis-servers, its p99 was 22-39 ms against 7-16 ms
// single-threaded, at the same or lower CPU per request (bench/RESULTS.md, session 6). And with a
// 4 MB semi-space: after a burst
// of pipelined requests (many in flight survive a scavenge) V8 grows the young generation to its
// maximum, and every allocation then walks through fresh memory; the 10-key MSETs and MGETs that
// followed cost the proxy 38-46 µs of CPU each instead of 31-33, and its RSS after the benchmark was
// 310-340 MB instead of 194 MB (bench/RESULTS.md, session 13). CODIS_PROXY_V8_FLAGS replaces the
// list (space separated; empty = Node's defaults). The flags are set before the program is loaded,
// so a restart does not compile it twice.
import { ensureV8Flags } from './v8-flags.ts';

ensureV8Flags('CODIS_PROXY_V8_FLAGS', ['--single-threaded-gc', '--max-semi-space-size=4']);
await import('./proxy-program.ts');
