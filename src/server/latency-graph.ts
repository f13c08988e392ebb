// LATENCY GRAPH's text (latency.c latencyCommandGenSparkeline of Redis 7.0): a header with the
// samples' high and low and the event's all-time high, a rule of 80 dashes, then a filled sparkline
// four rows high whose labels say how long ago each sample was taken ("5s", "3m", "2h", "1d").
import { renderSparkline, type SparklineSample } from './sparkline.ts';

const GRAPH_COLUMNS = 80;
const GRAPH_ROWS = 4;

/**
 * The graph of `samples` ([unix seconds, ms], oldest first, at least one), drawn at `now` (unix
 * seconds); `allTimeHigh` is the event's maximum since it was created or reset.
 */
export function latencyGraph(
  event: string,
  samples: ReadonlyArray<readonly [number, number]>,
  allTimeHigh: number,
  now: number,
): string {
  let min = 0;
  let max = 0;
  const sequence: SparklineSample[] = [];
  for (const [time, latency] of samples) {
    if (sequence.length === 0) {
      min = latency;
      max = latency;
    } else {
      if (latency > max) max = latency;
      if (latency < min) min = latency;
    }
    sequence.push({ value: latency, label: elapsedLabel(now - time) });
  }
  return (
    `${event} - high ${max} ms, low ${min} ms (all time high ${allTimeHigh} ms)\n` +
    `${'-'.repeat(GRAPH_COLUMNS)}\n` +
    renderSparkline(sequence, GRAPH_COLUMNS, GRAPH_ROWS, true)
  );
}

/** Seconds ago as Redis labels them: whole seconds, minutes, hours or days (C integer division). */
export function elapsedLabel(elapsed: number): string {
  if (elapsed < 60) return `${elapsed}s`;
  if (elapsed < 3600) return `${Math.trunc(elapsed / 60)}m`;
  if (elapsed < 3600 * 24) return `${Math.trunc(elapsed / 3600)}h`;
  return `${Math.trunc(elapsed / (3600 * 24))}d`;
}
