export {
  CoordinatorAuthError,
  CoordinatorClosedError,
  CoordinatorConfigError,
  CoordinatorError,
  type CoordinatorErrorContext,
  CoordinatorOperationError,
  CoordinatorUnavailableError,
  InvalidPathError,
  LockHeldError,
  LockLostError,
  NodeExistsError,
  NodeNotFoundError,
  NotSupportedError,
} from './errors.ts';
export { FilesystemStore, type FilesystemStoreOptions } from './filesystem-store.ts';
export { localSystemDescription } from './lock-owner.ts';
export {
  type CoordinatorOptions,
  type Credentials,
  coordinatorKind,
  openStore,
  parseAuth,
} from './open-store.ts';
export { listProducts, type ProductLockInfo, ProductStore } from './product-store.ts';
export {
  type CoordinatorKind,
  DEFAULT_SESSION_TIMEOUT,
  DEFAULT_TIMEOUT,
  type LockInfo,
  type Store,
  type StoreLock,
  type StoreTimeouts,
  type Watch,
  type WatchEvent,
  type WatchListener,
} from './store.ts';
