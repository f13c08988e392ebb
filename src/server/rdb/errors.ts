/** A DUMP payload or RDB stream that cannot be decoded: truncated, corrupt or of an unknown type. */
export class RdbFormatError extends Error {
  readonly code = 'RDB_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'RdbFormatError';
  }
}
