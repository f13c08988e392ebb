// Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB's
// introspection subcommands, with Redis 7.0's replies.
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { subcommandSyntax } from '../errors.ts';
import { globMatch } from '../glob.ts';
import type { PubSubRegistry } from '../pubsub/registry.ts';
import { replyHelp } from './command-introspection.ts';

function registryOf(client: Client): PubSubRegistry {
  return client.server.features.get('pubsub') as PubSubRegistry;
}

function subscribe(client: Client, argv: string[]): void {
  registryOf(client).subscribe(client, 'channel', argv.slice(1));
}

function psubscribe(client: Client, argv: string[]): void {
  registryOf(client).subscribe(client, 'pattern', argv.slice(1));
}

function ssubscribe(client: Client, argv: string[]): void {
  registryOf(client).subscribe(client, 'shard', argv.slice(1));
}

function unsubscribe(client: Client, argv: string[]): void {
  registryOf(client).unsubscribe(client, 'channel', argv.length > 1 ? argv.slice(1) : undefined, true);
}

function punsubscribe(client: Client, argv: string[]): void {
  registryOf(client).unsubscribe(client, 'pattern', argv.length > 1 ? argv.slice(1) : undefined, true);
}

function sunsubscribe(client: Client, argv: string[]): void {
  registryOf(client).unsubscribe(client, 'shard', argv.length > 1 ? argv.slice(1) : undefined, true);
}

function publish(client: Client, argv: string[]): void {
  client.out.integer(registryOf(client).publish(argv[1] as string, argv[2] as string));
}

function spublish(client: Client, argv: string[]): void {
  client.out.integer(registryOf(client).publishShard(argv[1] as string, argv[2] as string));
}

function listChannels(client: Client, channels: Map<string, Set<Client>>, pattern: string | undefined): void {
  const found: string[] = [];
  for (const channel of channels.keys())
    if (pattern === undefined || globMatch(pattern, channel)) found.push(channel);
  client.out.bulkArray(found);
}

function countSubscribers(client: Client, channels: Map<string, Set<Client>>, names: string[]): void {
  const out = client.out;
  out.arrayHeader(names.length * 2);
  for (const name of names) {
    out.bulk(name);
    out.integer(channels.get(name)?.size ?? 0);
  }
}

function syntaxIfExtra(client: Client, argv: string[]): boolean {
  if (argv.length <= 3) return false;
  client.replyError(subcommandSyntax(argv));
  return true;
}

function pubsubChannels(client: Client, argv: string[]): void {
  if (syntaxIfExtra(client, argv)) return;
  listChannels(client, registryOf(client).channels, argv[2]);
}

function pubsubShardChannels(client: Client, argv: string[]): void {
  if (syntaxIfExtra(client, argv)) return;
  listChannels(client, registryOf(client).shardChannels, argv[2]);
}

function pubsubNumsub(client: Client, argv: string[]): void {
  countSubscribers(client, registryOf(client).channels, argv.slice(2));
}

function pubsubShardNumsub(client: Client, argv: string[]): void {
  countSubscribers(client, registryOf(client).shardChannels, argv.slice(2));
}

function pubsubNumpat(client: Client): void {
  client.out.integer(registryOf(client).patternCount);
}

function pubsubHelp(client: Client): void {
  replyHelp(client, [
    'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'CHANNELS [<pattern>]',
    "    Return the currently active channels matching a <pattern> (default: '*').",
    'NUMPAT',
    '    Return number of subscriptions to patterns.',
    'NUMSUB [<channel> ...]',
    '    Return the number of subscribers for the specified channels, excluding',
    '    pattern subscriptions(default: no channels).',
    'SHARDCHANNELS [<pattern>]',
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    'SHARDNUMSUB [<shardchannel> ...]',
    '    Return the number of subscribers for the specified shard level channel(s)',
    'HELP',
    '    Prints this help.',
  ]);
}

export const pubsubCommands: CommandDefinition[] = [
  { name: 'subscribe', handler: subscribe },
  { name: 'psubscribe', handler: psubscribe },
  { name: 'ssubscribe', handler: ssubscribe },
  { name: 'unsubscribe', handler: unsubscribe },
  { name: 'punsubscribe', handler: punsubscribe },
  { name: 'sunsubscribe', handler: sunsubscribe },
  { name: 'publish', handler: publish },
  { name: 'spublish', handler: spublish },
  { name: 'pubsub|channels', handler: pubsubChannels },
  { name: 'pubsub|shardchannels', handler: pubsubShardChannels },
  { name: 'pubsub|numsub', handler: pubsubNumsub },
  { name: 'pubsub|shardnumsub', handler: pubsubShardNumsub },
  { name: 'pubsub|numpat', handler: pubsubNumpat },
  { name: 'pubsub|help', handler: pubsubHelp },
];
