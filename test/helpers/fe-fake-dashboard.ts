// A fake Codis 3.2 dashboard for codis-fe tests: answers GET /topom and GET /api/topom/stats/<xauth>
// with the JSON observed from Codis (spec/control-plane.md §6.3, §14.1, Appendix A), records every
// request, and answers every PUT with a Codis error (status 800, a Go stack) unless told otherwise.

import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Json = Record<string, unknown>;

/** Appendix A: product codis-demo after §14.13 (three groups, one proxy, three sentinels). */
export function goldenStats(extra: { serverName?: string; proxyAddr?: string } = {}): Json {
  const slots = Array.from({ length: 1024 }, (_, id) => ({
    id,
    group_id: id < 441 ? 2 : id < 700 ? 1 : 3,
    action: id >= 1000 ? { index: id - 999, state: id === 1000 ? 'migrating' : 'pending', target_id: 1 } : {},
  }));
  const info = (role: string, extraInfo: Json = {}): Json => ({
    role,
    run_id: '79e94e431a99a7ca7919ee5b81e3b972999e010f',
    used_memory: '2867840',
    maxmemory: '0',
    db0: 'keys=1338,expires=0,avg_ttl=0',
    redis_version: '3.2.11',
    ...extraInfo,
  });
  const server = (addr: string): Json => ({ server: addr, datacenter: '', action: {}, replica_group: false });
  const odd = extra.serverName ?? '127.0.0.1:16383';
  return {
    closed: false,
    slots,
    group: {
      models: [
        {
          id: 1,
          servers: [server('127.0.0.1:16380'), server('127.0.0.1:16379')],
          promoting: {},
          out_of_sync: false,
        },
        { id: 2, servers: [server('127.0.0.1:16381')], promoting: {}, out_of_sync: false },
        { id: 3, servers: [server(odd)], promoting: {}, out_of_sync: false },
      ],
      stats: {
        '127.0.0.1:16379': {
          stats: info('slave', {
            master_host: '127.0.0.1',
            master_port: '16380',
            master_addr: '127.0.0.1:16380',
            master_link_status: 'up',
          }),
          unixtime: 1795570569,
        },
        '127.0.0.1:16380': { stats: info('master'), unixtime: 1795570569 },
        '127.0.0.1:16381': {
          error: {
            Cause: 'dial tcp 127.0.0.1:16381: connect: connection refused',
            Stack: [
              { Name: 'github.com/CodisLabs/codis/pkg/utils/redis.NewClient', File: 'client.go', Line: 52 },
            ],
          },
          unixtime: 1795570637,
        },
        [odd]: { stats: info('master', { db0: `keys=7,expires=0,avg_ttl=0` }), unixtime: 1795570569 },
      },
    },
    proxy: {
      models: [
        {
          id: 1,
          token: '2e7212a146c4e36a17404fc19d2ed3cf',
          start_time: '2026-11-25 01:32:55.075393046 +0000 UTC m=+0.004377963',
          admin_addr: '127.0.0.1:11080',
          proto_type: 'tcp4',
          proxy_addr: extra.proxyAddr ?? '127.0.0.1:19000',
          product_name: 'codis-demo',
          pid: 12783,
          pwd: '<ROOT>',
          sys: 'Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux',
          hostname: 'vm',
          datacenter: '',
        },
      ],
      stats: {
        '2e7212a146c4e36a17404fc19d2ed3cf': {
          stats: {
            online: true,
            closed: false,
            sentinels: {
              servers: ['127.0.0.1:26379', '127.0.0.1:26380', '127.0.0.1:26381'],
              masters: { '1': '127.0.0.1:16380', '2': '127.0.0.1:16381', '3': '127.0.0.1:16383' },
            },
            ops: { total: 7006, fails: 0, redis: { errors: 1 }, qps: 42 },
            sessions: { total: 6, alive: 3 },
            rusage: {
              now: '2026-11-25 01:36:09.219048477 +0000 UTC m=+194.148033396',
              cpu: 0,
              mem: 39411712,
              raw: {
                utime: 2970000000,
                stime: 1040000000,
                cutime: 0,
                cstime: 0,
                num_threads: 8,
                vm_size: 1318735872,
                vm_rss: 39411712,
              },
            },
            backend: { primary_only: false },
          },
          unixtime: 1795570569,
        },
      },
    },
    slot_action: { interval: 0, disabled: false, progress: { status: '' }, executor: 0 },
    sentinels: {
      model: { servers: ['127.0.0.1:26379', '127.0.0.1:26380', '127.0.0.1:26381'], out_of_sync: false },
      stats: {
        '127.0.0.1:26379': {
          stats: {
            redis_mode: 'sentinel',
            sentinel_masters: '3',
            master0: 'name=codis-demo-1,status=ok,address=127.0.0.1:16380,slaves=1,sentinels=2',
            master1: 'name=codis-demo-2,status=ok,address=127.0.0.1:16381,slaves=0,sentinels=2',
            master2: 'name=codis-demo-3,status=odown,address=127.0.0.1:16383,slaves=0,sentinels=2',
          },
          sentinel: {
            'codis-demo-3': {
              master: {
                'config-epoch': '0',
                flags: 'master',
                ip: '127.0.0.1',
                name: 'codis-demo-3',
                'num-slaves': '0',
                port: '16383',
                quorum: '2',
                'role-reported': 'master',
                runid: 'ad1d6183e1aedc4ca8c04d622f768d412e54fed6',
              },
            },
          },
          unixtime: 1795570569,
        },
        '127.0.0.1:26380': { unixtime: 1795570569, timeout: true },
      },
      masters: { '1': '127.0.0.1:16380', '2': '127.0.0.1:16381', '3': '127.0.0.1:16383' },
    },
  };
}

/** §14.1: a product with nothing in it yet. */
export function emptyStats(): Json {
  return {
    closed: false,
    slots: Array.from({ length: 1024 }, (_, id) => ({ id, group_id: 0, action: {} })),
    group: { models: [], stats: {} },
    proxy: { models: [], stats: {} },
    slot_action: { interval: 0, disabled: false, progress: { status: '' }, executor: 0 },
    sentinels: { model: { out_of_sync: false }, stats: {}, masters: {} },
  };
}

/** §6.3: the overview wrapping a stats object. */
export function overview(product: string, adminAddr: string, stats: Json): Json {
  return {
    version: '2018-11-04 16:22:35 +0800 @de1ad026e329561c22e2a3035fbfe89dc7fef764 @3.2.2-12-gde1ad026',
    compile: '2026-11-25 01:27:13 +0000 by go version go1.19.8 linux/amd64',
    config: {
      coordinator_name: 'filesystem',
      coordinator_addr: '<ROOT>/coord',
      coordinator_auth: '',
      admin_addr: adminAddr,
      product_name: product,
      migration_method: 'semi-async',
    },
    model: {
      token: '1c32b1575c12715c19b6725a6a01d912',
      start_time: '2026-11-25 01:32:32.844359033 +0000 UTC m=+0.004552902',
      admin_addr: adminAddr,
      product_name: product,
      pid: 12586,
      pwd: '<ROOT>',
      sys: 'Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux',
    },
    stats,
  };
}

const PUT_ERROR = {
  Cause: 'group-[1] already exists',
  Stack: [
    {
      Name: 'github.com/CodisLabs/codis/pkg/topom.(*Topom).CreateGroup',
      File: '/src/pkg/topom/topom_group.go',
      Line: 27,
    },
  ],
};

export class FakeCodisDashboard {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #product: string;
  readonly #stats: () => Json;
  addr = '';

  constructor(product: string, stats: () => Json) {
    this.#product = product;
    this.#stats = stats;
    this.#server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const send = (status: number, value: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(value, null, 4));
        };
        if (req.method === 'GET' && path === '/topom')
          send(200, overview(this.#product, this.addr, this.#stats()));
        else if (req.method === 'GET' && path.startsWith('/api/topom/stats/')) send(200, this.#stats());
        else if (req.method === 'PUT' && path.startsWith('/api/topom/slots/action/interval/'))
          send(200, 'OK');
        else if (req.method === 'PUT') send(800, PUT_ERROR);
        else {
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('404 page not found\n');
        }
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.addr = `127.0.0.1:${address.port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
