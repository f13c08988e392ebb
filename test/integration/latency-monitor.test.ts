// LATENCY DOCTOR and LATENCY GRAPH on redis-server and codis-server alike. The spikes come from
// DEBUG SLEEP; their milliseconds and the seconds-ago labels vary from run to run, the rest of the
// text may not.
import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';

const DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
const NO_SPIKES =
  'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
const SLOWLOG_DISABLED =
  "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 10000'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n";
const SLOWLOG_INSPECT =
  '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
const LARGE_OBJECTS =
  '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
// Machines with transparent huge pages "always" may give a process huge pages: then both servers
// add this advice (redis-server disables THP for itself by default, so it rarely does).
const THP = '- I detected a non zero amount of anonymous huge pages[^\\n]*\\n';
const MAYBE_THP = `(?:${THP})?`;

function bulk(text: string): string {
  return `$${Buffer.byteLength(text, 'latin1')}\r\n${text}\r\n`;
}

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The body of a bulk reply. */
function body(reply: string): string {
  assert.match(reply, /^\$\d+\r\n/);
  return reply.slice(reply.indexOf('\r\n') + 2, -2);
}

conformanceSuite('latency monitor', (it) => {
  it('LATENCY DOCTOR: disabled, no spike, then the report and its advices', async ({ connection: c }) => {
    await c.call('LATENCY', 'RESET');
    assert.equal(await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0'), '+OK\r\n');
    assert.equal(await c.call('LATENCY', 'DOCTOR'), bulk(DISABLED));
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '10');
    assert.match(
      body(await c.call('LATENCY', 'DOCTOR')),
      new RegExp(`^(?:${literal(NO_SPIKES)}|\\nI have a few advices for you:\\n\\n${THP})$`),
    );
    try {
      assert.equal(await c.call('DEBUG', 'SLEEP', '0.02'), '+OK\r\n');
      const spike =
        "^Dave, I have observed latency spikes in this Redis instance\\. You don't mind talking about it, do you Dave\\?\\n\\n" +
        '1\\. command: 1 latency spikes \\(average (\\d+)ms, mean deviation 0ms, period \\d+\\.00 sec\\)\\. Worst all time event \\1ms\\.\\n' +
        '\\nI have a few advices for you:\\n\\n';
      // slowlog-log-slower-than 10000 µs is the 10 ms threshold: no tuning advice.
      const report = body(await c.call('LATENCY', 'DOCTOR'));
      assert.match(report, new RegExp(`${spike}${literal(SLOWLOG_INSPECT + LARGE_OBJECTS)}${MAYBE_THP}$`));
      assert.ok(Number(/average (\d+)ms/.exec(report)?.[1]) >= 20);
      await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
      assert.match(
        body(await c.call('LATENCY', 'DOCTOR')),
        new RegExp(`${spike}${literal(SLOWLOG_DISABLED + SLOWLOG_INSPECT + LARGE_OBJECTS)}${MAYBE_THP}$`),
      );
      await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '20000');
      assert.ok(
        body(await c.call('LATENCY', 'DOCTOR')).includes(
          "\n- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 10000'.\n",
        ),
      );
      // Verbatim text in RESP3.
      await c.call('HELLO', '3');
      assert.match(await c.call('LATENCY', 'DOCTOR'), /^=\d+\r\ntxt:Dave, I have observed/);
      await c.call('HELLO', '2');
      assert.equal(
        await c.call('LATENCY', 'DOCTOR', 'now'),
        "-ERR wrong number of arguments for 'latency|doctor' command\r\n",
      );
    } finally {
      await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
      await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
      await c.call('LATENCY', 'RESET');
    }
  });

  it('LATENCY GRAPH: the sparkline of an event, errors for events without samples', async ({
    connection: c,
  }) => {
    await c.call('LATENCY', 'RESET');
    assert.equal(
      await c.call('LATENCY', 'GRAPH', 'command'),
      "-ERR No samples available for event 'command'\r\n",
    );
    assert.equal(
      await c.call('LATENCY', 'GRAPH'),
      "-ERR wrong number of arguments for 'latency|graph' command\r\n",
    );
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '10');
    try {
      assert.equal(await c.call('DEBUG', 'SLEEP', '0.02'), '+OK\r\n');
      // One sample: a single column on the bottom row, labelled with the seconds since.
      const graph = body(await c.call('LATENCY', 'GRAPH', 'command'));
      assert.match(
        graph,
        /^command - high (\d+) ms, low \1 ms \(all time high \1 ms\)\n-{80}\n \n \n \n_\n \n\d\ns\n$/,
      );
      // Event names are exact for GRAPH and HISTORY, any case for RESET.
      assert.equal(
        await c.call('LATENCY', 'GRAPH', 'COMMAND'),
        "-ERR No samples available for event 'COMMAND'\r\n",
      );
      await c.call('HELLO', '3');
      assert.match(await c.call('LATENCY', 'GRAPH', 'command'), /^=\d+\r\ntxt:command - high /);
      await c.call('HELLO', '2');
      assert.equal(await c.call('LATENCY', 'RESET', 'COMMAND'), ':1\r\n');
      assert.equal(
        await c.call('LATENCY', 'GRAPH', 'command'),
        "-ERR No samples available for event 'command'\r\n",
      );
    } finally {
      await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
      await c.call('LATENCY', 'RESET');
    }
  });
});
