// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO with Redis 7.0's options, checks and
// messages; the tracking itself is src/server/tracking.
import { isKeyword, parseInt64 } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_INTEGER, SYNTAX } from '../errors.ts';
import { trackingFeature, trackingOf } from '../tracking/index.ts';

/** stringCheckPrefix: whether one of the two is a prefix of the other. */
function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

function clientTracking(client: Client, argv: string[]): void {
  const tracking = trackingFeature(client.server);
  if (tracking === undefined) return;
  let redirect = 0;
  let bcast = false;
  let optin = false;
  let optout = false;
  let noloop = false;
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = argv[j] as string;
    if (more > 0 && isKeyword(option, 'redirect')) {
      j++;
      if (redirect !== 0) {
        client.replyError('ERR A client can only redirect to a single other client');
        return;
      }
      const id = parseInt64(argv[j] as string);
      if (id === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      redirect = Number(id);
      if (!client.server.clients.has(redirect)) {
        client.replyError('ERR The client ID you want redirect to does not exist');
        return;
      }
    } else if (isKeyword(option, 'bcast')) bcast = true;
    else if (isKeyword(option, 'optin')) optin = true;
    else if (isKeyword(option, 'optout')) optout = true;
    else if (isKeyword(option, 'noloop')) noloop = true;
    else if (more > 0 && isKeyword(option, 'prefix')) prefixes.push(argv[++j] as string);
    else {
      client.replyError(SYNTAX);
      return;
    }
  }
  const mode = (argv[2] as string).toLowerCase();
  if (mode === 'off') {
    tracking.disable(client);
    client.out.ok();
    return;
  }
  if (mode !== 'on') {
    client.replyError(SYNTAX);
    return;
  }
  if (!bcast && prefixes.length > 0) {
    client.replyError('ERR PREFIX option requires BCAST mode to be enabled');
    return;
  }
  const state = trackingOf(client);
  if (state !== undefined && state.bcast !== bcast) {
    client.replyError(
      "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
    return;
  }
  if (bcast && (optin || optout)) {
    client.replyError('ERR OPTIN and OPTOUT are not compatible with BCAST');
    return;
  }
  if (optin && optout) {
    client.replyError("ERR You can't specify both OPTIN mode and OPTOUT mode");
    return;
  }
  if (state !== undefined && ((optin && state.optout) || (optout && state.optin))) {
    client.replyError(
      "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
    return;
  }
  if (bcast) {
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i] as string;
      for (const existing of state?.prefixes ?? []) {
        if (overlaps(existing, prefix)) {
          client.replyError(
            `ERR Prefix '${prefix}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`,
          );
          return;
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlaps(prefix, prefixes[j] as string)) {
          client.replyError(
            `ERR Prefix '${prefix}' overlaps with another provided prefix '${prefixes[j]}'. Prefixes for a single client must not overlap.`,
          );
          return;
        }
      }
    }
  }
  tracking.enable(client, { redirect, bcast, optin, optout, noloop }, prefixes);
  client.out.ok();
}

function clientCaching(client: Client, argv: string[]): void {
  const state = trackingOf(client);
  if (state === undefined) {
    client.replyError(
      'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
    );
    return;
  }
  const option = (argv[2] as string).toLowerCase();
  if (option === 'yes') {
    if (!state.optin) {
      client.replyError('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
      return;
    }
  } else if (option === 'no') {
    if (!state.optout) {
      client.replyError('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
      return;
    }
  } else {
    client.replyError(SYNTAX);
    return;
  }
  state.caching = true;
  client.out.ok();
}

function clientGetredir(client: Client): void {
  client.out.integer(trackingOf(client)?.redirect ?? -1);
}

function clientTrackinginfo(client: Client): void {
  const state = trackingOf(client);
  const flags = [state === undefined ? 'off' : 'on'];
  if (state !== undefined) {
    if (state.bcast) flags.push('bcast');
    if (state.optin) flags.push('optin');
    if (state.optin && state.caching) flags.push('caching-yes');
    if (state.optout) flags.push('optout');
    if (state.optout && state.caching) flags.push('caching-no');
    if (state.noloop) flags.push('noloop');
    if (state.brokenRedirect) flags.push('broken_redirect');
  }
  const out = client.out;
  out.mapHeader(3);
  out.bulk('flags');
  out.setHeader(flags.length);
  for (const flag of flags) out.bulk(flag);
  out.bulk('redirect');
  out.integer(state?.redirect ?? -1);
  out.bulk('prefixes');
  out.bulkArray(state?.prefixes ?? []);
}

export const clientTrackingCommands: CommandDefinition[] = [
  { name: 'client|tracking', handler: clientTracking },
  { name: 'client|caching', handler: clientCaching },
  { name: 'client|getredir', handler: clientGetredir },
  { name: 'client|trackinginfo', handler: clientTrackinginfo },
];
