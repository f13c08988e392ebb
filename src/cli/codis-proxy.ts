#!/usr/bin/env node
// codis-proxy: the Redis-protocol proxy with its admin API (spec/proxy.md §1, §13); the program
// itself is proxy-program.ts.
//
// Node runs it with `--single-threaded-gc --max-semi-space-size=4 --no-allocation-site-pretenuring`
// (cli/v8-flags.ts). With V8's default helper threads, a proxy pinned to one CPU, as in the
// benchmark, waits for helpers that cannot run beside it: in front of two redis-servers, its p99 was
// 22-39 ms against 7-16 ms single-threaded, at the same or lower CPU per request (bench/RESULTS.md,
// session 6). With a 4 MB semi-space: after a burst of pipelined requests (many in flight survive a
// scavenge) V8 grows the young generation to its maximum, and every allocation then walks through
// fresh memory; the 10-key MSETs and MGETs that followed cost the proxy 38-46 µs of CPU each instead
// of 31-33, and its RSS after the benchmark was 310-340 MB instead of 194 MB (bench/RESULTS.md,
// session 13). Without allocation-site pretenuring: once V8 sees the objects of an allocation site
// survive (requests in flight during a scavenge), it allocates them in the old generation from then
// on, where the proxy's short-lived buffers pile up until a full collection; their memory outside
// the heap then made V8 run one full collection after another for external memory pressure. Half
// of the 10-key MGET runs fell into that state (35 full collections instead of 1, proxy CPU 27-33 µs
// per MGET instead of 14-19); none did without it (bench/RESULTS.md, session 15).
// CODIS_PROXY_V8_FLAGS replaces the list (space separated; empty = Node's defaults). The flags are
// set before the program is loaded, so a restart does not compile it twice.
import { ensureV8Flags } from './v8-flags.ts';

ensureV8Flags('CODIS_PROXY_V8_FLAGS', [
  '--single-threaded-gc',
  '--max-semi-space-size=4',
  '--no-allocation-site-pretenuring',
]);
await import('./proxy-program.ts');
