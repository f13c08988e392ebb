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
