// The proxy.toml switches of transactions and blocking commands (transaction.ts, blocking.ts):
// on by default, printed by --default-config, and false restores Codis's refusal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupCommand } from '../command-table.ts';
import { dedicatedCommandEnabled } from '../exclusive.ts';
import { DEFAULT_PROXY_TOML, defaultProxyConfig, parseProxyToml, proxyConfigToJson } from './index.ts';

describe('proxy.toml transaction and blocking switches', () => {
  it('are on by default and in the default config text', () => {
    const config = defaultProxyConfig();
    assert.equal(config.proxy_transactions_enabled, true);
    assert.equal(config.proxy_blocking_enabled, true);
    assert.match(DEFAULT_PROXY_TOML, /^proxy_transactions_enabled = true$/m);
    assert.match(DEFAULT_PROXY_TOML, /^proxy_blocking_enabled = true$/m);
    const json = proxyConfigToJson(config) as Record<string, unknown>;
    assert.equal(json.proxy_transactions_enabled, true);
    assert.equal(json.proxy_blocking_enabled, true);
  });

  it('turn each family off on its own', () => {
    const config = parseProxyToml('proxy_transactions_enabled = false\n');
    assert.equal(config.proxy_transactions_enabled, false);
    assert.equal(config.proxy_blocking_enabled, true);
    for (const name of ['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH'])
      assert.equal(
        dedicatedCommandEnabled(lookupCommand(name) as NonNullable<ReturnType<typeof lookupCommand>>, config),
        false,
      );
    for (const name of ['BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BLMPOP', 'BZPOPMIN', 'BZPOPMAX', 'BZMPOP'])
      assert.equal(
        dedicatedCommandEnabled(lookupCommand(name) as NonNullable<ReturnType<typeof lookupCommand>>, config),
        true,
      );
    const blocking = parseProxyToml('proxy_blocking_enabled = false\n');
    assert.equal(
      dedicatedCommandEnabled(
        lookupCommand('BLPOP') as NonNullable<ReturnType<typeof lookupCommand>>,
        blocking,
      ),
      false,
    );
    assert.equal(
      dedicatedCommandEnabled(
        lookupCommand('multi') as NonNullable<ReturnType<typeof lookupCommand>>,
        blocking,
      ),
      true,
    );
    // Other refused commands are not affected by either switch.
    assert.equal(
      dedicatedCommandEnabled(
        lookupCommand('MONITOR') as NonNullable<ReturnType<typeof lookupCommand>>,
        config,
      ),
      false,
    );
  });

  it('refuse a value that is not a boolean', () => {
    assert.throws(() => parseProxyToml('proxy_blocking_enabled = "yes"\n'), /proxy_blocking_enabled/);
  });
});
