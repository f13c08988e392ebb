// Reading flag values the way codis-admin does: a missing or malformed one is a `[PANIC]`.

import { AdminFailure } from './output.ts';

export function requireString(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new AdminFailure(`missing argument ${name}`);
  return value;
}

export function parseInteger(value: string, name: string): number {
  if (!/^[-+]?\d+$/.test(value.trim())) {
    throw new AdminFailure(
      `parse argument ${name} failed`,
      new Error(`invalid integer ${JSON.stringify(value)}`),
    );
  }
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n)) {
    throw new AdminFailure(`parse argument ${name} failed`, new Error(`${value} is out of range`));
  }
  return n;
}

export function requireInteger(value: string | undefined, name: string): number {
  return parseInteger(requireString(value, name), name);
}
