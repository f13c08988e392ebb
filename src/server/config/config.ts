// The server's configuration: the schema's defaults, then redis.conf, then `--name value` flags;
// CONFIG SET at run time. Values are kept normalized as strings (CONFIG GET prints them) with typed
// accessors for the hot ones.
import { readFileSync } from 'node:fs';
import { splitInlineArguments } from '../../resp/index.ts';
import { AccessControl, AclLoadError } from '../acl/index.ts';
import { CONFIG_PARAMETERS, type ConfigParameter, configParameter } from './schema.ts';
import { ConfigValueError, normalizeConfigValue } from './values.ts';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

export type ConfigListener = (name: string, value: string) => void;

export class ServerConfig {
  private readonly values = new Map<string, string>();
  private readonly listeners: ConfigListener[] = [];
  /** The config file given at start (CONFIG REWRITE writes it back). */
  configFile: string | undefined;
  /** `user <name> rules...` directives, checked, in order: the ACL creates them at start. */
  readonly users: string[][] = [];

  constructor() {
    for (const parameter of CONFIG_PARAMETERS) this.values.set(parameter.name, parameter.default);
  }

  get(name: string): string {
    const parameter = configParameter(name);
    if (parameter === undefined) throw new ConfigError(`unknown config parameter '${name}'`);
    return this.values.get(parameter.name) as string;
  }

  getNumber(name: string): number {
    return Number(this.get(name));
  }

  getBoolean(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** Sets a value; throws ConfigError naming the parameter when unknown or invalid. */
  set(name: string, raw: string, atRunTime = false): void {
    const parameter = configParameter(name);
    if (parameter === undefined)
      throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (atRunTime && !parameter.mutable)
      throw new ConfigError(
        `CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`,
      );
    let value: string;
    try {
      value = normalizeConfigValue(parameter, raw, this.values.get(parameter.name));
    } catch (error) {
      if (error instanceof ConfigValueError) {
        throw new ConfigError(
          `CONFIG SET failed (possibly related to argument '${parameter.name}') - ${error.message}`,
        );
      }
      throw error;
    }
    this.values.set(parameter.name, value);
    for (const listener of this.listeners) listener(parameter.name, value);
  }

  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  /** Every parameter with its current value, canonical names only. */
  *entries(): IterableIterator<[ConfigParameter, string]> {
    for (const parameter of CONFIG_PARAMETERS) yield [parameter, this.values.get(parameter.name) as string];
  }

  /** Applies redis.conf text (`name value...` lines, `#` comments, quoted arguments). */
  applyFileText(text: string, source: string): void {
    const lines = text.split('\n');
    for (let number = 0; number < lines.length; number++) {
      const line = (lines[number] as string).trim();
      if (line === '' || line.startsWith('#')) continue;
      const words = splitInlineArguments(line);
      if (words === undefined || words.length === 0) {
        throw new ConfigError(`${source}:${number + 1}: unbalanced quotes in configuration line`);
      }
      this.applyDirective(words, `${source}:${number + 1}`);
    }
  }

  applyFile(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (error) {
      throw new ConfigError(`Fatal error, can't open config file '${path}': ${(error as Error).message}`);
    }
    this.configFile = path;
    this.applyFileText(text, path);
  }

  /** Applies one directive: [name, ...values]. */
  applyDirective(words: string[], where: string): void {
    const [name = '', ...rest] = words;
    if (name.toLowerCase() === 'user' && rest.length >= 1) {
      this.addUser(rest, where);
      return;
    }
    const parameter = configParameter(name);
    if (parameter === undefined)
      throw new ConfigError(`${where}: Bad directive or wrong number of arguments: unknown option '${name}'`);
    const save = parameter.kind === 'save' || parameter.kind === 'list';
    if (!save && rest.length !== 1) {
      throw new ConfigError(`${where}: wrong number of arguments for '${parameter.name}'`);
    }
    try {
      this.values.set(
        parameter.name,
        normalizeConfigValue(parameter, rest.join(' '), this.values.get(parameter.name)),
      );
    } catch (error) {
      if (error instanceof ConfigValueError)
        throw new ConfigError(`${where}: invalid value for '${parameter.name}': ${error.message}`);
      throw error;
    }
  }

  private addUser(args: string[], where: string): void {
    if (this.users.some((each) => each[0] === args[0]))
      throw new ConfigError(
        `${where}: Error in user declaration '${args[0]}': Duplicate user found. A user can only be defined once in config files`,
      );
    try {
      AccessControl.validateDirective(args);
    } catch (error) {
      if (error instanceof AclLoadError) throw new ConfigError(`${where}: ${error.message}`);
      throw error;
    }
    this.users.push(args);
  }

  /** Applies command-line arguments as redis-server does: `[config-file] [--name value ...]`. */
  applyArguments(args: readonly string[]): void {
    let index = 0;
    if (args[0] !== undefined && !args[0].startsWith('--')) {
      this.applyFile(args[0]);
      index = 1;
    }
    while (index < args.length) {
      const flag = args[index] as string;
      if (!flag.startsWith('--')) throw new ConfigError(`invalid argument '${flag}': options start with --`);
      const values: string[] = [];
      index++;
      while (index < args.length && !(args[index] as string).startsWith('--'))
        values.push(args[index++] as string);
      this.applyDirective([flag.slice(2), ...values], `option '${flag}'`);
    }
  }
}
