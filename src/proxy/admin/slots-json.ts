// Slot objects in their admin JSON form (spec/proxy.md §8.4.3): every key but `id` omitted when
// zero, empty or false; fillslots bodies decoded as leniently as Go's json.Unmarshal into structs.

import type { JsonObject } from '../../models/go-json.ts';
import type { ProxySlot } from '../slot.ts';

export function slotToJson(slot: ProxySlot): JsonObject {
  const groups = slot.replica_groups ?? [];
  return {
    id: slot.id,
    locked: slot.locked === true ? true : undefined,
    backend_addr: slot.backend_addr ? slot.backend_addr : undefined,
    backend_addr_group_id: slot.backend_addr_group_id ? slot.backend_addr_group_id : undefined,
    migrate_from: slot.migrate_from ? slot.migrate_from : undefined,
    migrate_from_group_id: slot.migrate_from_group_id ? slot.migrate_from_group_id : undefined,
    forward_method: slot.forward_method ? slot.forward_method : undefined,
    replica_groups: groups.length > 0 ? groups.map((group) => [...group]) : undefined,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A fillslots body. Codis ignores what it cannot decode (observed: `garbage` → "OK", nothing
 * changed), so anything but an array of objects yields no slots, and mistyped fields are left out.
 */
export function slotsFromBody(body: string): ProxySlot[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const slots: ProxySlot[] = [];
  for (const item of value) {
    if (!isObject(item)) continue;
    const int = (key: string): number | undefined =>
      typeof item[key] === 'number' && Number.isInteger(item[key]) ? (item[key] as number) : undefined;
    const str = (key: string): string | undefined =>
      typeof item[key] === 'string' ? (item[key] as string) : undefined;
    const slot: ProxySlot = { id: int('id') ?? 0 };
    if (item.locked === true) slot.locked = true;
    const backend = str('backend_addr');
    if (backend !== undefined && backend !== '') slot.backend_addr = backend;
    const backendGroup = int('backend_addr_group_id');
    if (backendGroup !== undefined && backendGroup !== 0) slot.backend_addr_group_id = backendGroup;
    const from = str('migrate_from');
    if (from !== undefined && from !== '') slot.migrate_from = from;
    const fromGroup = int('migrate_from_group_id');
    if (fromGroup !== undefined && fromGroup !== 0) slot.migrate_from_group_id = fromGroup;
    const method = int('forward_method');
    if (method !== undefined && method !== 0) slot.forward_method = method;
    if (Array.isArray(item.replica_groups)) {
      const groups = item.replica_groups
        .filter((group): group is unknown[] => Array.isArray(group))
        .map((group) => group.filter((addr): addr is string => typeof addr === 'string'));
      if (groups.length > 0) slot.replica_groups = groups;
    }
    slots.push(slot);
  }
  return slots;
}
