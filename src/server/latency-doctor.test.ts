import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeLatency, type LatencyDoctorInput, latencyDoctorReport } from './latency-doctor.ts';

const SPIKES =
  "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
const ADVICES = '\nI have a few advices for you:\n\n';
const SLOWLOG_INSPECT =
  '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
const LARGE_OBJECTS =
  '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';

function input(overrides: Partial<LatencyDoctorInput>): LatencyDoctorInput {
  return {
    events: new Map(),
    now: 1000,
    latencyThreshold: 1,
    slowlogSlowerThan: 10000,
    appendfsync: 'everysec',
    hz: 10,
    anonHugePages: 0,
    ...overrides,
  };
}

// Captured from Debian's redis-server 7.0.15 (defaults but latency-monitor-threshold 1), with the
// samples of LATENCY HISTORY command at the same second.
test('the report redis-server 7.0.15 gave for 8 command spikes', () => {
  const samples: Array<[number, number]> = [48, 10, 38, 18, 38, 32, 58, 30].map((ms, i) => [
    1795815625 + i,
    ms,
  ]);
  const report = latencyDoctorReport(
    input({ events: new Map([['command', { samples, max: 58 }]]), now: 1795815632 }),
  );
  assert.equal(
    report,
    SPIKES +
      '1. command: 8 latency spikes (average 34ms, mean deviation 11ms, period 0.88 sec). Worst all time event 58ms.\n' +
      ADVICES +
      "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.\n" +
      SLOWLOG_INSPECT +
      LARGE_OBJECTS,
  );
});

test('disabled, and enabled without spikes', () => {
  assert.match(latencyDoctorReport(input({ latencyThreshold: 0 })), /^I'm sorry, Dave, I can't do that\. /);
  assert.equal(
    latencyDoctorReport(input({})),
    'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n',
  );
  // Events recorded before the monitor was switched off are still reported.
  const events = new Map([['command', { samples: [[999, 5]] as Array<[number, number]>, max: 5 }]]);
  assert.match(latencyDoctorReport(input({ events, latencyThreshold: 0 })), /^Dave, I have observed/);
});

test('advices depend on the slow log, the event names and the configuration', () => {
  const one = { samples: [[1000, 20]] as Array<[number, number]>, max: 20 };
  const disabled = latencyDoctorReport(
    input({ events: new Map([['command', one]]), slowlogSlowerThan: -1, latencyThreshold: 5 }),
  );
  assert.ok(
    disabled.includes(
      "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 5000'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n",
    ),
  );
  // A slow log at least as sensitive as the monitor needs no tuning.
  const tuned = latencyDoctorReport(input({ events: new Map([['command', one]]), slowlogSlowerThan: 1999 }));
  assert.equal(
    tuned,
    `${SPIKES}1. command: 1 latency spikes (average 20ms, mean deviation 0ms, period 1.00 sec). Worst all time event 20ms.\n${ADVICES}${SLOWLOG_INSPECT}${LARGE_OBJECTS}`,
  );
  // Several events, numbered in order; the advices are printed once each, in Redis's order.
  const many = latencyDoctorReport(
    input({
      events: new Map([
        ['fast-command', one],
        ['AOF-FSYNC-ALWAYS', one],
        ['expire-cycle', one],
        ['eviction-cycle', one],
      ]),
      appendfsync: 'always',
    }),
  );
  const lines = many.split('\n');
  assert.match(lines[2] as string, /^1\. fast-command: 1 latency spikes/);
  assert.match(lines[5] as string, /^4\. eviction-cycle: /);
  const order = [
    '- The system is slow to execute Redis code paths',
    "- Your fsync policy is set to 'always'.",
    "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.",
    '- Deleting, expiring or evicting',
    "- Sudden changes to the 'maxmemory' setting",
  ].map((text) => many.indexOf(text));
  assert.ok(
    order.every((at, i) => at > 0 && (i === 0 || at > (order[i - 1] as number))),
    String(order),
  );
  // Advices whose configuration is already right are counted but print nothing, as in Redis.
  const quiet = latencyDoctorReport(
    input({ events: new Map([['aof-fsync-always', one]]), appendfsync: 'everysec', hz: 100 }),
  );
  assert.ok(quiet.endsWith(`Worst all time event 20ms.\n${ADVICES}`));
  // No advice at all for an event Redis knows nothing about.
  assert.ok(
    latencyDoctorReport(input({ events: new Map([['while-blocked-cron', one]]) })).endsWith(
      "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n",
    ),
  );
});

test('anonymous huge pages of the process call for disabling THP, even without events', () => {
  const report = latencyDoctorReport(input({ anonHugePages: 2 * 1024 * 1024 }));
  assert.ok(report.startsWith(`${ADVICES}- I detected a non zero amount of anonymous huge pages`));
});

test('statistics: truncated averages, the period from the oldest sample, printf rounding', () => {
  const stats = analyzeLatency(
    [
      [100, 1],
      [101, 2],
      [103, 4],
    ],
    108,
  );
  assert.deepEqual(stats, { samples: 3, min: 1, max: 4, average: 2, deviation: 1, period: 8 });
  assert.equal(analyzeLatency([[50, 9]], 50).period, 1);
  // period / samples = 1 / 8 = 0.125 exactly: printf's %.2f rounds the tie to even.
  const samples: Array<[number, number]> = Array.from({ length: 8 }, (_, i) => [1000, 10 + i]);
  assert.match(
    latencyDoctorReport(input({ events: new Map([['x', { samples, max: 17 }]]) })),
    /\(average 13ms, mean deviation 2ms, period 0\.12 sec\)/,
  );
});
