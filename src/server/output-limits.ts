// client-output-buffer-limit (Redis's obuf limits): per class of client (normal, replica, pubsub) a
// hard limit of pending output that closes the client at once and a soft limit that closes it
// when exceeded for longer than its seconds; 0 disables either.

export interface OutputLimit {
  readonly hard: number;
  readonly soft: number;
  readonly softSeconds: number;
}

export interface OutputLimits {
  readonly normal: OutputLimit;
  readonly slave: OutputLimit;
  readonly pubsub: OutputLimit;
}

const NONE: OutputLimit = { hard: 0, soft: 0, softSeconds: 0 };

/** The normalized config value (`normal h s t slave h s t pubsub h s t`, bytes and seconds). */
export function parseOutputLimits(value: string): OutputLimits {
  const words = value.split(' ');
  const limits: Record<string, OutputLimit> = {};
  for (let i = 0; i + 3 < words.length; i += 4) {
    limits[words[i] as string] = {
      hard: Number(words[i + 1]),
      soft: Number(words[i + 2]),
      softSeconds: Number(words[i + 3]),
    };
  }
  return { normal: limits.normal ?? NONE, slave: limits.slave ?? NONE, pubsub: limits.pubsub ?? NONE };
}

/**
 * Whether `pending` bytes break `limit` at `now` (ms), given since when the soft limit has been
 * exceeded (0: it is not); returns the new soft-limit start in `state.softSince`.
 */
export function overLimit(
  limit: OutputLimit,
  pending: number,
  now: number,
  state: { softSince: number },
): boolean {
  if (limit.hard > 0 && pending >= limit.hard) return true;
  if (limit.soft > 0 && pending >= limit.soft) {
    if (state.softSince === 0) state.softSince = now;
    return now - state.softSince > limit.softSeconds * 1000;
  }
  state.softSince = 0;
  return false;
}
