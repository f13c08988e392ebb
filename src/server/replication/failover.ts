// FAILOVER (Redis 6.2+): a coordinated switch of roles between this master and one of its replicas.
// The master pauses writes (as CLIENT PAUSE WRITE), waits until the target replica acknowledged its
// whole stream, turns into a replica of it and sends it `PSYNC <replid> <offset> FAILOVER`; the
// target promotes itself (its history's id moves to replid2) and answers +CONTINUE, so both keep
// one history and nothing is synced in full. Redis's replication.c: failoverCommand,
// updateFailoverStatus, abortFailover, clearFailoverState.
import { adminState } from '../admin-state.ts';
import { parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { AttachedReplica, Replication } from './master.ts';
import { promote, replicateFrom } from './role.ts';

/** INFO replication's master_failover_state. */
export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

const SYNTAX = 'ERR syntax error';
const NOT_INTEGER = 'ERR value is not an integer or out of range';

export class Failover {
  state: FailoverState = 'no-failover';
  private readonly replication: Replication;
  /** The replica taking over: given with TO, or the first one found caught up. */
  private targetHost: string | undefined;
  private targetPort = 0;
  /** When TIMEOUT expires (ms), 0 without TIMEOUT. */
  private endTime = 0;
  private force = false;
  private checkScheduled = false;

  constructor(replication: Replication) {
    this.replication = replication;
  }

  /** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds], with Redis's checks in order. */
  command(client: Client, argv: string[]): void {
    if (argv.length === 2 && (argv[1] as string).toLowerCase() === 'abort') {
      if (this.state === 'no-failover') {
        client.replyError('ERR No failover in progress.');
        return;
      }
      this.abort('Failover manually aborted');
      client.out.ok();
      return;
    }
    let timeout = 0;
    let force = false;
    let host: string | undefined;
    let port = 0;
    for (let j = 1; j < argv.length; j++) {
      const option = (argv[j] as string).toLowerCase();
      if (option === 'timeout' && j + 1 < argv.length && timeout === 0) {
        const value = parseLongLong(argv[j + 1] as string);
        if (value === undefined) {
          client.replyError(NOT_INTEGER);
          return;
        }
        if (value <= 0) {
          client.replyError('ERR FAILOVER timeout must be greater than 0');
          return;
        }
        timeout = value;
        j++;
      } else if (option === 'to' && j + 2 < argv.length && host === undefined) {
        const value = parseLongLong(argv[j + 2] as string);
        if (value === undefined) {
          client.replyError(NOT_INTEGER);
          return;
        }
        host = argv[j + 1] as string;
        port = value;
        j += 2;
      } else if (option === 'force' && !force) {
        force = true;
      } else {
        client.replyError(SYNTAX);
        return;
      }
    }
    const replication = this.replication;
    if (this.state !== 'no-failover') {
      client.replyError('ERR FAILOVER already in progress.');
      return;
    }
    if (replication.link !== undefined) {
      client.replyError('ERR FAILOVER is not valid when server is a replica.');
      return;
    }
    if (replication.replicas.size === 0) {
      client.replyError('ERR FAILOVER requires connected replicas.');
      return;
    }
    if (force && (timeout === 0 || host === undefined)) {
      client.replyError('ERR FAILOVER with force option requires both a timeout and target HOST and IP.');
      return;
    }
    const server = replication.server;
    if (host !== undefined) {
      const replica = this.findReplica(host, port);
      if (replica === undefined) {
        client.replyError('ERR FAILOVER target HOST and PORT is not a replica.');
        return;
      }
      if (replica.state !== 'online') {
        client.replyError('ERR FAILOVER target replica is not online.');
        return;
      }
      this.targetHost = host;
      this.targetPort = port;
      server.log('notice', `FAILOVER requested to ${host}:${port}.`);
    } else server.log('notice', 'FAILOVER requested to any replica.');
    this.endTime = timeout > 0 ? Date.now() + timeout : 0;
    this.force = force;
    this.state = 'waiting-for-sync';
    adminState(server).pauseForFailover();
    client.out.ok();
    // The target may be caught up already (Redis checks before its event loop sleeps again).
    this.scheduleCheck();
  }

  /** A replica acknowledged an offset: the one waited for may have caught up. */
  acknowledged(): void {
    if (this.state === 'waiting-for-sync') this.scheduleCheck();
  }

  cron(now: number): void {
    if (this.state === 'waiting-for-sync') this.update(now);
  }

  /**
   * The old master's PSYNC FAILOVER was answered. +CONTINUE (or +FULLRESYNC, possible in edge
   * cases) completes the failover; anything else, or the link closing first, aborts it.
   */
  targetAnswered(accepted: boolean): void {
    if (this.state !== 'failover-in-progress') return;
    if (accepted) this.clear();
    else this.abort('Failover target rejected psync request');
  }

  private scheduleCheck(): void {
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      this.update(Date.now());
    });
  }

  /** Redis's updateFailoverStatus: the timeout, then whether the target reached our offset. */
  private update(now: number): void {
    if (this.state !== 'waiting-for-sync') return;
    const replication = this.replication;
    const server = replication.server;
    if (this.endTime !== 0 && this.endTime <= now) {
      if (this.force) {
        server.log(
          'notice',
          `FAILOVER to ${this.targetHost}:${this.targetPort} time out exceeded, failing over.`,
        );
        this.takeOver();
      } else this.abort('Replica never caught up before timeout');
      return;
    }
    let replica: AttachedReplica | undefined;
    if (this.targetHost !== undefined) replica = this.findReplica(this.targetHost, this.targetPort);
    else {
      for (const candidate of replication.replicas.values()) {
        if (candidate.ackOffset !== replication.offset) continue;
        replica = candidate;
        this.targetHost = candidate.ip;
        this.targetPort = candidate.listeningPort;
        break;
      }
    }
    if (replica === undefined || replica.ackOffset !== replication.offset) return;
    server.log('notice', `Failover target ${this.targetHost}:${this.targetPort} is synced, failing over.`);
    this.takeOver();
  }

  /** Demotes this master: a replica of the target, whose handshake carries PSYNC ... FAILOVER. */
  private takeOver(): void {
    this.state = 'failover-in-progress';
    replicateFrom(this.replication, this.targetHost as string, this.targetPort, 'failover');
  }

  /** Redis's abortFailover: back to master (a new history) when already demoted, writes resume. */
  private abort(reason: string): void {
    if (this.state === 'no-failover') return;
    const server = this.replication.server;
    const target = this.targetHost === undefined ? 'any replica' : `${this.targetHost}:${this.targetPort}`;
    server.log('notice', `FAILOVER to ${target} aborted: ${reason}`);
    if (this.state === 'failover-in-progress') promote(this.replication);
    this.clear();
  }

  private clear(): void {
    this.state = 'no-failover';
    this.targetHost = undefined;
    this.targetPort = 0;
    this.endTime = 0;
    this.force = false;
    adminState(this.replication.server).unpauseForFailover();
  }

  /** Redis's findReplica: the announced (or peer) address, compared without case, and port. */
  private findReplica(host: string, port: number): AttachedReplica | undefined {
    const wanted = host.toLowerCase();
    for (const replica of this.replication.replicas.values())
      if (replica.ip.toLowerCase() === wanted && replica.listeningPort === port) return replica;
    return undefined;
  }
}
