// A command whose reply comes later (migration callers): the client stops running its pipeline
// until the reply is written, so its replies keep their order (spec §9.9 allows this
// serialization), while the server keeps serving every other client.
import type { Client } from '../client.ts';

const WAITING = 'migration-wait';

export function deferReply(client: Client): void {
  client.paused = true;
  client.features.set(WAITING, true);
}

export function isWaiting(client: Client): boolean {
  return client.features.has(WAITING);
}

/** Writes the late reply with `write`, then resumes the client's pipeline. */
export function completeReply(client: Client, write: (client: Client) => void): void {
  if (!client.features.delete(WAITING)) return;
  client.paused = false;
  if (client.closed) return;
  write(client);
  client.processInput();
}
