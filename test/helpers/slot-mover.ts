// Moves a slot's keys between two servers with Codis's slot commands, as the dashboard does: the
// sync method (SLOTSMGRTTAGSLOT, one tag per call) or the semi-async one (SLOTSMGRTTAGSLOT-ASYNC,
// `numkeys` per call), call after call until the source reports the slot empty.
import assert from 'node:assert/strict';
import { RawConnection } from './raw-connection.ts';

export interface MoveOptions {
  /** 0: sync method; 1: semi-async (Codis's forward_method numbers). */
  method: 0 | 1;
  /** Keys per semi-async call (the dashboard's numkeys). */
  numkeys?: number;
  /** Pause between calls, so the test's clients run in between. */
  pauseMs?: number;
}

/** Moves every key of `slot` from the server on `fromPort` to 127.0.0.1:`toPort`. */
export async function moveSlot(
  fromPort: number,
  toPort: number,
  slot: number,
  options: MoveOptions,
): Promise<void> {
  const mover = await RawConnection.open(fromPort);
  try {
    for (;;) {
      const reply =
        options.method === 0
          ? await mover.call('SLOTSMGRTTAGSLOT', '127.0.0.1', String(toPort), '3000', String(slot))
          : await mover.call(
              'SLOTSMGRTTAGSLOT-ASYNC',
              '127.0.0.1',
              String(toPort),
              '3000',
              '200',
              '1048576',
              String(slot),
              String(options.numkeys ?? 10),
            );
      assert.match(reply, /^\*2\r\n:\d+\r\n:\d+\r\n$/);
      if (reply.endsWith(':0\r\n')) return;
      if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  } finally {
    mover.close();
  }
}
