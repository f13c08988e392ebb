// A client that sends megabytes at once (a long pipeline, a migration's restore stream) is read one
// buffer per event-loop turn, as Redis reads one buffer per client per event: other clients are
// served between its reads, and the pauses that makes lose and reorder nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawConnection } from '../helpers/raw-connection.ts';
import { type RunningServer, startServer } from '../helpers/redis-servers.ts';

describe('reading a fast client', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('codis-server');
  });
  after(async () => {
    await server?.stop();
  });

  test('an 8 MB pipeline is answered in order while another client is served in the middle of it', async () => {
    const heavy = await RawConnection.open(server.port);
    const other = await RawConnection.open(server.port);
    try {
      const command = Buffer.from('*2\r\n$4\r\nINCR\r\n$6\r\nfair:n\r\n');
      const count = Math.ceil((8 * 1024 * 1024) / command.length);
      heavy.sendRaw(Buffer.concat(Array.from({ length: count }, () => command)));
      assert.equal((await heavy.reply()).raw, ':1\r\n');
      const seen = Number((await other.call('get', 'fair:n')).slice(1).split('\r\n')[1]);
      assert.ok(seen > 0 && seen < count, `the other client was answered after ${seen} of ${count}`);
      for (let n = 2; n <= count; n++) {
        const reply = (await heavy.reply()).raw;
        if (reply !== `:${n}\r\n`) assert.fail(`reply ${n} of the pipeline was ${JSON.stringify(reply)}`);
      }
      assert.equal(await other.call('get', 'fair:n'), `$${String(count).length}\r\n${count}\r\n`);
    } finally {
      heavy.close();
      other.close();
    }
  });
});
