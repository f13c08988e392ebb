// The slot mapping record (spec/control-plane.md §3.3) at /codis3/{product}/slots/slot-NNNN: which
// group owns a slot and the state of its migration action (§8.4).

import { MAX_SLOTS } from '../slots/index.ts';
import {
  type DecodeContext,
  expectObject,
  parseRecordJson,
  readChildObject,
  readInt,
  readString,
} from './decode.ts';
import { encodeGoJson, type JsonObject } from './go-json.ts';
import { MAX_GROUP_ID } from './paths.ts';

/** Migration states in the order a slot passes through them; `''` is "no action". */
export const SLOT_ACTION_STATES = ['', 'pending', 'preparing', 'prepared', 'migrating', 'finished'] as const;
export type SlotActionState = (typeof SLOT_ACTION_STATES)[number];

export const SlotActionState = {
  None: '',
  Pending: 'pending',
  Preparing: 'preparing',
  Prepared: 'prepared',
  Migrating: 'migrating',
  Finished: 'finished',
} as const satisfies Record<string, SlotActionState>;

export interface SlotAction {
  /** Scheduling order, smaller first; 0 when there is no action. */
  index: number;
  state: SlotActionState;
  /** Destination group; 0 when there is no action. */
  targetId: number;
}

export interface SlotMapping {
  id: number;
  /** Owning group; 0 means offline. */
  groupId: number;
  action: SlotAction;
}

/** What a missing slot node means: offline, no action. */
export function offlineSlot(id: number): SlotMapping {
  return { id, groupId: 0, action: { index: 0, state: '', targetId: 0 } };
}

export function slotMappingToJson(slot: SlotMapping): JsonObject {
  return {
    id: slot.id,
    group_id: slot.groupId,
    // Every action field is `omitempty`, so an idle slot shows `"action": {}`.
    action: {
      index: slot.action.index !== 0 ? slot.action.index : undefined,
      state: slot.action.state !== '' ? slot.action.state : undefined,
      target_id: slot.action.targetId !== 0 ? slot.action.targetId : undefined,
    },
  };
}

export function slotMappingFromJson(value: unknown, path?: string): SlotMapping {
  const ctx: DecodeContext = { record: 'slot', path };
  const obj = expectObject(value, ctx, '');
  const action = readChildObject(obj, 'action', ctx, '');
  return {
    id: readInt(obj, 'id', ctx, '', { min: 0, max: MAX_SLOTS - 1 }),
    groupId: readInt(obj, 'group_id', ctx, '', { min: 0, max: MAX_GROUP_ID }),
    action: {
      index: readInt(action, 'index', ctx, 'action', { optional: true, min: 0 }),
      state: readString(action, 'state', ctx, 'action', { optional: true, oneOf: SLOT_ACTION_STATES }),
      targetId: readInt(action, 'target_id', ctx, 'action', { optional: true, min: 0, max: MAX_GROUP_ID }),
    },
  };
}

export function encodeSlotMapping(slot: SlotMapping): string {
  return encodeGoJson(slotMappingToJson(slot));
}

export function decodeSlotMapping(data: string | Uint8Array, path?: string): SlotMapping {
  return slotMappingFromJson(parseRecordJson(data, { record: 'slot', path }), path);
}
