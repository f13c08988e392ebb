// The proxy's slot record (spec/proxy.md §6.1) in its JSON form (§8.4.3): the fillslots body and
// the /proxy/slots output. Every key but `id` is omitted when zero, empty or false.

export interface ProxySlot {
  id: number;
  locked?: boolean;
  backend_addr?: string;
  backend_addr_group_id?: number;
  migrate_from?: string;
  migrate_from_group_id?: number;
  /** 0 = sync (SLOTSMGRTTAGONE before forwarding), 1 = semi-async (SLOTSMGRT-EXEC-WRAPPER). */
  forward_method?: number;
  replica_groups?: string[][];
}

/** A copy in the JSON form: every key but `id` left out when zero, empty or false. */
export function normaliseSlot(record: ProxySlot): ProxySlot {
  const out: ProxySlot = { id: record.id };
  if (record.locked) out.locked = true;
  if (record.backend_addr) out.backend_addr = record.backend_addr;
  if (record.backend_addr_group_id) out.backend_addr_group_id = record.backend_addr_group_id;
  if (record.migrate_from) out.migrate_from = record.migrate_from;
  if (record.migrate_from_group_id) out.migrate_from_group_id = record.migrate_from_group_id;
  if (record.forward_method) out.forward_method = record.forward_method;
  const groups = (record.replica_groups ?? []).filter((group) => group.length > 0);
  if (groups.length > 0) out.replica_groups = groups.map((group) => [...group]);
  return out;
}
