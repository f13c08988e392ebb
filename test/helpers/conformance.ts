// The conformance harness: every test is written once and run against Debian's redis-server 7 (the
// reference) and against our codis-server, with the same assertions. A test that passes on
// redis-server proves its expectations are Redis's own.
import { after, before, describe, test } from 'node:test';
import { RawConnection } from './raw-connection.ts';
import { type RunningServer, type ServerKind, startServer } from './redis-servers.ts';

export const TARGETS: readonly ServerKind[] = ['redis-server', 'codis-server'];

export interface ConformanceContext {
  readonly kind: ServerKind;
  readonly port: number;
  /** A fresh connection (closed after the test); the server was FLUSHALLed before the test. */
  readonly connection: RawConnection;
  /** Another fresh connection, closed after the test. */
  connect(): Promise<RawConnection>;
}

export interface ConformanceOptions {
  /** Extra server options for this suite, e.g. ['--requirepass', 'pw']. */
  serverArgs?: string[];
  /** Only for codis-server (behaviour Redis lacks: slot commands). */
  only?: ServerKind;
}

/**
 * Declares a suite whose tests run against each target: `conformanceSuite('strings', (it) => {
 * it('GET missing key', async ({ connection }) => ...) })`.
 */
export function conformanceSuite(
  name: string,
  body: (it: (testName: string, fn: (context: ConformanceContext) => Promise<void>) => void) => void,
  options: ConformanceOptions = {},
): void {
  for (const kind of TARGETS) {
    if (options.only !== undefined && options.only !== kind) continue;
    describe(`${name} [${kind}]`, () => {
      let server: RunningServer;
      before(async () => {
        server = await startServer(kind, { args: options.serverArgs ?? [] });
      });
      after(async () => {
        await server?.stop();
      });
      body((testName, fn) => {
        test(testName, async () => {
          const opened: RawConnection[] = [];
          const open = async (): Promise<RawConnection> => {
            const connection = await RawConnection.open(server.port);
            opened.push(connection);
            return connection;
          };
          const connection = await open();
          const password = passwordOf(options.serverArgs);
          if (password !== undefined) await connection.call('AUTH', password);
          await connection.call('FLUSHALL');
          try {
            await fn({ kind, port: server.port, connection, connect: open });
          } finally {
            for (const each of opened) each.close();
          }
        });
      });
    });
  }
}

function passwordOf(args: string[] | undefined): string | undefined {
  if (args === undefined) return undefined;
  const at = args.indexOf('--requirepass');
  return at >= 0 ? args[at + 1] : undefined;
}
