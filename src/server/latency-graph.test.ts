import assert from 'node:assert/strict';
import { test } from 'node:test';
import { elapsedLabel, latencyGraph } from './latency-graph.ts';

/** One sample a second from `first`: what DEBUG SLEEP once a second records. */
function everySecond(first: number, latencies: number[]): Array<[number, number]> {
  return latencies.map((latency, i) => [first + i, latency]);
}

// Captured from Debian's redis-server 7.0.15: LATENCY HISTORY command and LATENCY GRAPH command in
// the same second (TIME), after DEBUG SLEEP of 2-61 ms once a second with latency-monitor-threshold 1.
test('LATENCY GRAPH of 8 samples, as redis-server 7.0.15 drew it', () => {
  const samples = everySecond(1795815625, [48, 10, 38, 18, 38, 32, 58, 30]);
  assert.equal(
    latencyGraph('command', samples, 58, 1795815632),
    'command - high 58 ms, low 10 ms (all time high 58 ms)\n' +
      '--------------------------------------------------------------------------------\n' +
      '_     # \n' +
      '| o o | \n' +
      '| | |#|#\n' +
      '|_|#||||\n' +
      '        \n' +
      '76543210\n' +
      'ssssssss\n',
  );
});

test('LATENCY GRAPH of 90 samples wraps after 80 columns; minutes for samples 60 s old or more', () => {
  const latencies = [
    48, 10, 38, 18, 38, 30, 58, 30, 50, 30, 6, 30, 30, 42, 46, 50, 42, 10, 30, 2, 18, 2, 34, 10, 10, 38, 46,
    30, 50, 10, 18, 42, 22, 10, 38, 30, 42, 6, 58, 26, 46, 6, 26, 58, 42, 6, 50, 2, 34, 34, 18, 10, 54, 50,
    38, 22, 38, 2, 34, 10, 26, 34, 10, 2, 6, 50, 10, 38, 22, 10, 22, 6, 18, 26, 42, 58, 2, 58, 26, 30, 42, 50,
    6, 50, 6, 34, 46, 42, 34, 26,
  ];
  assert.equal(
    latencyGraph('command', everySecond(1795815625, latencies), 58, 1795815714),
    'command - high 58 ms, low 2 ms (all time high 58 ms)\n' +
      '--------------------------------------------------------------------------------\n' +
      '_     # o     _o          _ o         # _  #  o     #o           o         # #  \n' +
      '| o o_|_|_ __#||# _   _  o|_|  #  o_# | |  |# | __  ||o o _  _   | o      #| | _\n' +
      '| |_|||||| |||||| | _ |  |||| _|o ||| |#| #|| | ||_ |||o| | #|   | |o o _#|| |#|\n' +
      '|o||||||||_||||||o|_|_|oo||||o|||o|||_|||_|||_|_|||o|||||_|o||o__|o||o|_||||_|||\n' +
      '                                                                                \n' +
      '11111111111111111111111111111155555555554444444444333333333322222222221111111111\n' +
      'mmmmmmmmmmmmmmmmmmmmmmmmmmmmmm98765432109876543210987654321098765432109876543210\n' +
      '                              ssssssssssssssssssssssssssssssssssssssssssssssssss\n' +
      '\n' +
      ' o o  _   \n' +
      '#| | _|#_ \n' +
      '|| | ||||#\n' +
      '||_|_|||||\n' +
      '          \n' +
      '9876543210\n' +
      'ssssssssss\n',
  );
});

test('one sample: a single column on the bottom row; the all-time high may exceed the samples', () => {
  assert.equal(
    latencyGraph('fast-command', [[100, 3]], 250, 100),
    `fast-command - high 3 ms, low 3 ms (all time high 250 ms)\n${'-'.repeat(80)}\n \n \n \n_\n \n0\ns\n`,
  );
});

test('labels: seconds, then whole minutes, hours and days', () => {
  assert.equal(elapsedLabel(0), '0s');
  assert.equal(elapsedLabel(59), '59s');
  assert.equal(elapsedLabel(60), '1m');
  assert.equal(elapsedLabel(3599), '59m');
  assert.equal(elapsedLabel(3600), '1h');
  assert.equal(elapsedLabel(86399), '23h');
  assert.equal(elapsedLabel(86400 * 3 + 5), '3d');
});
