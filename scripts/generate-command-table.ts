// Captures Redis 7's COMMAND INFO and COMMAND DOCS replies as typed trees, so codis-server answers
// COMMAND exactly as redis-server does for every command it implements. Run against a redis-server:
//   node scripts/generate-command-table.ts [port]   (writes src/commands/redis-commands.json)
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';

type Node =
  | { t: 'status'; v: string }
  | { t: 'bulk'; v: string }
  | { t: 'int'; v: number }
  | { t: 'null' }
  | { t: 'array' | 'set'; v: Node[] }
  | { t: 'map'; v: Array<[Node, Node]> };

function parse(buffer: Buffer, at: { i: number }): Node {
  const lineEnd = buffer.indexOf('\r\n', at.i);
  const type = String.fromCharCode(buffer[at.i] as number);
  const line = buffer.latin1Slice(at.i + 1, lineEnd);
  at.i = lineEnd + 2;
  switch (type) {
    case '+':
      return { t: 'status', v: line };
    case ':':
      return { t: 'int', v: Number(line) };
    case '_':
      return { t: 'null' };
    case '$': {
      const value = buffer.latin1Slice(at.i, at.i + Number(line));
      at.i += Number(line) + 2;
      return { t: 'bulk', v: value };
    }
    case '*':
    case '~': {
      const items: Node[] = [];
      for (let n = 0; n < Number(line); n++) items.push(parse(buffer, at));
      return { t: type === '*' ? 'array' : 'set', v: items };
    }
    case '%': {
      const pairs: Array<[Node, Node]> = [];
      for (let n = 0; n < Number(line); n++) pairs.push([parse(buffer, at), parse(buffer, at)]);
      return { t: 'map', v: pairs };
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}

function request(port: number, command: string): Promise<Node> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.write(`HELLO 3\r\n${command}\r\n`);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      try {
        const at = { i: 0 };
        parse(all, at);
        const reply = parse(all, at);
        socket.destroy();
        resolve(reply);
      } catch {
        // An incomplete reply throws; wait for more bytes.
      }
    });
    socket.on('error', reject);
  });
}

const port = Number(process.argv[2] ?? 6379);
const infos = await request(port, 'COMMAND');
const docsReply = await request(port, 'COMMAND DOCS');
const docs = new Map<string, Node>();
if (docsReply.t === 'map') for (const [name, doc] of docsReply.v) docs.set((name as { v: string }).v, doc);
const table: Record<string, { info: Node; docs: Node | null }> = {};
if (infos.t === 'array') {
  for (const info of infos.v) {
    if (info.t !== 'array') continue;
    const name = (info.v[0] as { v: string }).v;
    table[name] = { info, docs: docs.get(name) ?? null };
  }
}
writeFileSync('src/commands/redis-commands.json', `${JSON.stringify(table)}\n`);
console.log(`${Object.keys(table).length} commands`);
