// Parsing and printing of configuration values with Redis's units and error texts.
import type { ConfigParameter } from './schema.ts';

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** Redis's memtoull: `100`, `1k`, `1kb`, `2mb`, `1gb` (case-insensitive). */
export function parseMemory(text: string): number | undefined {
  const match = /^(-?\d+)([a-z]*)$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = MEMORY_UNITS[(match[2] as string).toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(match[1]) * unit;
}

export class ConfigValueError extends Error {
  readonly code = 'CONFIG_INVALID_VALUE';
}

/**
 * Validates and normalizes a value for a parameter (`current` is its value before: some values only
 * change part of it); throws ConfigValueError with Redis's wording.
 */
export function normalizeConfigValue(
  parameter: ConfigParameter,
  raw: string,
  current = parameter.default,
): string {
  if (parameter.normalize !== undefined) {
    try {
      return parameter.normalize(raw, current);
    } catch (error) {
      throw new ConfigValueError((error as Error).message);
    }
  }
  switch (parameter.kind) {
    case 'boolean': {
      const lower = raw.toLowerCase();
      if (lower !== 'yes' && lower !== 'no') throw new ConfigValueError("argument must be 'yes' or 'no'");
      return lower;
    }
    case 'integer':
    case 'memory': {
      const value =
        parameter.kind === 'memory' ? parseMemory(raw) : /^-?\d+$/.test(raw) ? Number(raw) : undefined;
      if (value === undefined || !Number.isFinite(value))
        throw new ConfigValueError(
          parameter.kind === 'memory'
            ? 'argument must be a memory value'
            : "argument couldn't be parsed into an integer",
        );
      if (
        (parameter.min !== undefined && value < parameter.min) ||
        (parameter.max !== undefined && value > parameter.max)
      ) {
        throw new ConfigValueError(
          `argument must be between ${parameter.min} and ${parameter.max} inclusive`,
        );
      }
      return String(value);
    }
    case 'enum': {
      const lower = raw.toLowerCase();
      if (!parameter.values?.includes(lower))
        throw new ConfigValueError(
          `argument(s) must be one of the following: ${(parameter.values ?? []).join(', ')}`,
        );
      return lower;
    }
    case 'save': {
      const parts = raw.trim() === '' ? [] : raw.trim().split(/\s+/);
      if (parts.length % 2 !== 0 || parts.some((part) => !/^\d+$/.test(part)))
        throw new ConfigValueError('Invalid save parameters');
      return parts.join(' ');
    }
    case 'list':
      return raw.trim().split(/\s+/).join(' ');
    default:
      return raw;
  }
}
