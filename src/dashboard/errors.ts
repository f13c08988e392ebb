// Errors of dashboard operations. Their message is Codis's text (clients and codis-fe show it,
// scripts match it); the HTTP layer sends it as `{"Cause": message, "Stack": null}` with status 800.

export class DashboardError extends Error {
  readonly code: string;
  constructor(message: string, code = 'ERR_DASHBOARD') {
    super(message);
    this.name = 'DashboardError';
    this.code = code;
  }
}

/** A request the caller may not make (missing admin secret): HTTP 401 instead of 800. */
export class UnauthorizedError extends DashboardError {
  constructor(message: string) {
    super(message, 'ERR_DASHBOARD_UNAUTHORIZED');
    this.name = 'UnauthorizedError';
  }
}

export function fail(message: string): never {
  throw new DashboardError(message);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
