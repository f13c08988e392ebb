// Errors of the coordinator clients. Each has a stable `code`; the message names the coordinator,
// the operation, the path and the cause, so an operator reading a dashboard log knows what failed
// where without a stack trace.

/** Where an error happened: which coordinator (`etcd 127.0.0.1:2379`), doing what, on which path. */
export interface CoordinatorErrorContext {
  readonly coordinator: string;
  readonly operation?: string | undefined;
  readonly path?: string | undefined;
  readonly cause?: unknown;
}

function causeText(cause: unknown): string {
  if (cause === undefined) return '';
  const text = cause instanceof Error ? cause.message : String(cause);
  return text === '' ? '' : ` (${text.split('\n')[0]})`;
}

export abstract class CoordinatorError extends Error {
  abstract readonly code: string;
  readonly coordinator: string;
  readonly operation: string | undefined;
  readonly path: string | undefined;

  constructor(problem: string, context: CoordinatorErrorContext, withCause = true) {
    const what = [context.operation, context.path].filter((s) => s !== undefined && s !== '').join(' ');
    const suffix = withCause ? causeText(context.cause) : '';
    super(`${context.coordinator}: ${what === '' ? '' : `${what}: `}${problem}${suffix}`, {
      cause: context.cause,
    });
    this.name = new.target.name;
    this.coordinator = context.coordinator;
    this.operation = context.operation;
    this.path = context.path;
  }
}

/** `create` (or an ephemeral or lock creation) found the node already there. */
export class NodeExistsError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_NODE_EXISTS';
  constructor(context: CoordinatorErrorContext) {
    super('node already exists', context, false);
  }
}

/** A node that must exist does not. */
export class NodeNotFoundError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_NO_NODE';
  constructor(context: CoordinatorErrorContext) {
    super('node does not exist', context, false);
  }
}

/** The coordinator cannot be reached (down, refusing connections, timing out, directory missing). */
export class CoordinatorUnavailableError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_UNAVAILABLE';
  constructor(context: CoordinatorErrorContext) {
    super('coordinator unavailable', context);
  }
}

/** The coordinator refused our credentials, or the node's ACL refuses us. */
export class CoordinatorAuthError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_AUTH';
  constructor(context: CoordinatorErrorContext) {
    super('authentication or permission refused', context);
  }
}

/** The backend has no such feature (the filesystem has no ephemeral nodes), as Codis answers. */
export class NotSupportedError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_NOT_SUPPORTED';
  constructor(context: CoordinatorErrorContext) {
    super('not supported', context, false);
  }
}

/** The lock is held by someone else (who is named in the message and in `holder`). */
export class LockHeldError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_LOCK_HELD';
  readonly holder: string;
  readonly data: Buffer | undefined;
  constructor(context: CoordinatorErrorContext, holder: string, data?: Buffer) {
    super(`lock is held by ${holder}`, context, false);
    this.holder = holder;
    this.data = data;
  }
}

/** A lock we held is gone: its session or lease expired, or it was removed by force. */
export class LockLostError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_LOCK_LOST';
  constructor(context: CoordinatorErrorContext, how: string) {
    super(`lock lost: ${how}`, context);
  }
}

/** The client was closed. */
export class CoordinatorClosedError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_CLOSED';
  constructor(context: CoordinatorErrorContext) {
    super('coordinator client is closed', context, false);
  }
}

/** A path that is not absolute, has empty, `.` or `..` segments, or a trailing `/`. */
export class InvalidPathError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_INVALID_PATH';
  constructor(context: CoordinatorErrorContext, reason: string) {
    super(`invalid path: ${reason}`, context, false);
  }
}

/** Bad coordinator settings: Codis's `invalid coordinator name = X`, `invalid auth`. */
export class CoordinatorConfigError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_CONFIG';
  constructor(context: CoordinatorErrorContext, problem: string) {
    super(problem, context, false);
  }
}

/** Any other failure of an operation (a file that is a directory, a full disk, a server error). */
export class CoordinatorOperationError extends CoordinatorError {
  readonly code = 'ERR_COORDINATOR_OPERATION';
  constructor(context: CoordinatorErrorContext, problem = 'operation failed') {
    super(problem, context);
  }
}
