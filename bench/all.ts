// npm run bench: the server benchmark (bench/run.ts), the proxy benchmark (bench/proxy.ts), slot
// migration between two servers (bench/migration.ts: small keys, then big collections), then the
// whole-cluster migration (bench/cluster-migration.ts), with the same arguments (--repeats N,
// --quick, --markdown FILE). --memory-only runs the server part only.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const scripts = argv.includes('--memory-only')
  ? ['run.ts']
  : ['run.ts', 'proxy.ts', 'migration.ts', 'cluster-migration.ts'];
for (const script of scripts) {
  const result = spawnSync(process.execPath, [join(import.meta.dirname, script), ...argv], {
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
