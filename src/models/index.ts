export {
  type DecodeContext,
  ModelDecodeError,
} from './decode.ts';
export {
  encodeGoJson,
  encodeGoJsonCompact,
  type JsonObject,
  type JsonValue,
  quoteGoString,
} from './go-json.ts';
export { goTimeNow, goTimeString, parseGoTime } from './go-time.ts';
export {
  decodeGroup,
  emptyGroup,
  encodeGroup,
  type Group,
  type GroupServer,
  groupFromJson,
  groupServer,
  groupServerToJson,
  groupToJson,
  PROMOTING_STATES,
  PromotingState,
  SERVER_ACTION_STATES,
  ServerActionState,
} from './group.ts';
export {
  decodeJodis,
  encodeJodis,
  type JodisRecord,
  jodisFromJson,
  jodisToJson,
} from './jodis.ts';
export {
  assertProductName,
  CODIS_DIR,
  groupDir,
  groupIdOfPath,
  groupPath,
  isValidProductName,
  jodisDir,
  jodisPath,
  MAX_GROUP_ID,
  ProductNameError,
  productPath,
  proxyDir,
  proxyPath,
  proxyTokenOfPath,
  sentinelPath,
  slotDir,
  slotIdOfPath,
  slotPath,
  topomPath,
} from './paths.ts';
export { decodeProxy, encodeProxy, type ProxyModel, proxyFromJson, proxyToJson } from './proxy.ts';
export {
  decodeSentinel,
  emptySentinel,
  encodeSentinel,
  type Sentinel,
  sentinelFromJson,
  sentinelToJson,
} from './sentinel.ts';
export {
  decodeSlotMapping,
  encodeSlotMapping,
  offlineSlot,
  SLOT_ACTION_STATES,
  type SlotAction,
  SlotActionState,
  type SlotMapping,
  slotMappingFromJson,
  slotMappingToJson,
} from './slot-mapping.ts';
export { decodeTopom, encodeTopom, type Topom, topomFromJson, topomToJson } from './topom.ts';
