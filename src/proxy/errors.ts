// Errors of the proxy's API (fillslots, lifecycle). Messages are Codis 3.2's own texts
// (spec/proxy.md §6.2, §1.2): the admin API relays them as the `Cause` of a failed call.

export type ProxyErrorCode =
  | 'INVALID_SLOT_ID'
  | 'INVALID_FORWARD_METHOD'
  | 'CLOSED_ROUTER'
  | 'CLOSED_PROXY'
  | 'INVALID_ADDRESS';

export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  constructor(code: ProxyErrorCode, message: string) {
    super(message);
    this.name = 'ProxyError';
    this.code = code;
  }
}

export const invalidSlotId = (): ProxyError => new ProxyError('INVALID_SLOT_ID', 'use of invalid slot id');
export const invalidForwardMethod = (): ProxyError =>
  new ProxyError('INVALID_FORWARD_METHOD', 'use of invalid forwarder method');
export const closedRouter = (): ProxyError => new ProxyError('CLOSED_ROUTER', 'use of closed router');
export const closedProxy = (): ProxyError => new ProxyError('CLOSED_PROXY', 'use of closed proxy');
