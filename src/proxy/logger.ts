// The few events the data plane reports (backend connections going up and down, fills, sentinel
// switches). A pino logger fits this shape; the default discards.

export interface ProxyLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const SILENT_LOGGER: ProxyLogger = {
  info() {},
  warn() {},
};
