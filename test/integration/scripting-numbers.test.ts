// The Lua environment of scripts as Redis 7 has it, compared with Debian's redis-server 7: Lua
// 5.1's numbers (every number a double, "%.14g" strings, string.format's integer items cast to 64
// bits), 5.1's error wording and library, read-only libraries, and Redis's bit, cjson, cmsgpack
// and struct libraries.
import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

async function check(c: RawConnection, cases: ReadonlyArray<readonly [string, string]>): Promise<void> {
  for (const [body, expected] of cases) assert.equal(await c.call('EVAL', body, '0'), expected, body);
}

conformanceSuite('scripting numbers', (it) => {
  it('arithmetic is double arithmetic: past 2^31, up to 2^53, negative numbers', async ({
    connection: c,
  }) => {
    await check(c, [
      ['return 2147483647 + 1', ':2147483648\r\n'],
      ['return -2147483648 - 1', ':-2147483649\r\n'],
      ['return 2^31 * 2^21', ':4503599627370496\r\n'],
      ['return 2^53', ':9007199254740992\r\n'],
      ['return 65536 * 65536', ':4294967296\r\n'],
      ["return #'abc' * 1000000000", ':3000000000\r\n'],
      ["return tonumber('3000000000') + 1", ':3000000001\r\n'],
      ["return tonumber('0x10') + 0.5", ':16\r\n'],
      ['return 10 / 4 * 4', ':10\r\n'],
      ['local s = 0 for i = 1, 100000 do s = s + 50000 end return s', ':5000000000\r\n'],
      ['return {1.5, 2147483648, -2147483649, -0.5}', '*4\r\n:1\r\n:2147483648\r\n:-2147483649\r\n:0\r\n'],
      ['return 3.99', ':3\r\n'],
      ['return -3.99', ':-3\r\n'],
      ['return -2^63', ':-9223372036854775808\r\n'],
      ['return 2^63', ':-9223372036854775808\r\n'],
      ['return math.huge', ':-9223372036854775808\r\n'],
      ['return math.type', '$-1\r\n'],
      // Library results are doubles too: two of them multiplied do not wrap.
      ['return math.floor(100000.5) * math.floor(100000.5)', ':10000000000\r\n'],
      ["return string.len(string.rep('a', 70000)) * ('x'):rep(70000):len()", ':4900000000\r\n'],
      ['return tostring(math.ceil(-0.5)) .. tostring(math.floor(-0.5))', '$4\r\n-0-1\r\n'],
    ]);
  });

  it('strings become numbers as strtod reads them: inf, infinity and nan too', async ({ connection: c }) => {
    // Lua 5.1 converts with strtod; found by comparing random commands against redis-server.
    const script = (body: string, argument: string): Promise<string> => c.call('EVAL', body, '0', argument);
    assert.equal(await script('return tonumber(ARGV[1])', 'inf'), ':-9223372036854775808\r\n');
    assert.equal(await script('return tostring(tonumber(ARGV[1]))', '-inf'), bulk('-inf'));
    assert.equal(await script('return tostring(tonumber(ARGV[1]))', ' Infinity '), bulk('inf'));
    assert.equal(await script('return tostring(tonumber(ARGV[1]))', 'nan'), bulk('nan'));
    assert.equal(await script('return tostring(ARGV[1] + 1)', 'INF'), bulk('inf'));
    assert.equal(await script('return tonumber(ARGV[1])', 'infx'), '$-1\r\n');
    assert.equal(await script('return tonumber(ARGV[1])', 'in'), '$-1\r\n');
  });

  it('integer replies of commands are numbers past 2^31 too', async ({ connection: c }) => {
    await check(c, [
      ["return redis.call('incrby', 'n', 3000000000) * 2", ':6000000000\r\n'],
      ["return redis.call('incrby', 'n', 3000000000) .. ''", bulk('6000000000')],
      ["return tostring(redis.call('decrby', 'm', 5000000000) - 1)", bulk('-5000000001')],
      ["return redis.call('incrby', 'n', redis.call('get', 'n') + 1)", ':12000000001\r\n'],
    ]);
  });

  it('numbers as strings: tostring, concatenation, %s print "%.14g"', async ({ connection: c }) => {
    await check(c, [
      ['return tostring(10/2)', bulk('5')],
      ['return tostring(2^53)', bulk('9.007199254741e+15')],
      ['return tostring(1e15)', bulk('1e+15')],
      ['return tostring(1e14)', bulk('1e+14')],
      ['return tostring(123456789012345)', bulk('1.2345678901234e+14')],
      ['return tostring(3000000000)', bulk('3000000000')],
      ['return tostring(0.1)', bulk('0.1')],
      ['return tostring(1/3)', bulk('0.33333333333333')],
      ['return tostring(1e-5)', bulk('1e-05')],
      ['return tostring(-123.456)', bulk('-123.456')],
      ['return tostring(-0)', bulk('-0')],
      ['return tostring(1e100)', bulk('1e+100')],
      ['return tostring(2^63)', bulk('9.2233720368548e+18')],
      ['return tostring(0/0)', bulk('-nan')],
      ['return tostring(7 % 0)', bulk('-nan')],
      ['return tostring(1/0)', bulk('inf')],
      ['return tostring(-1/0)', bulk('-inf')],
      ["return 1 .. ''", bulk('1')],
      ["return (2^31) .. ''", bulk('2147483648')],
      ["return ('x'):rep(2) .. #'abc' .. 1.5", bulk('xx31.5')],
      ["return math.floor(3.7) .. ''", bulk('3')],
      ["return string.format('%s', 1e15)", bulk('1e+15')],
      ["return string.format('%5.2f|%s|%x', 3.14159, 5.0, 255)", bulk(' 3.14|5|ff')],
    ]);
  });

  it("string.format's integer items take any number, cast to 64 bits", async ({ connection: c }) => {
    await check(c, [
      ["return string.format('%d', 3000000000)", bulk('3000000000')],
      ["return string.format('%d', 2^53)", bulk('9007199254740992')],
      ["return string.format('%d', 3.7)", bulk('3')],
      ["return string.format('%d', -3.7)", bulk('-3')],
      ["return string.format('%d', '3000000000')", bulk('3000000000')],
      [
        "return string.format('%05d|%-5d|%+d|%x|%X|%#x|%o|%c', 42, 42, 42, -1, 255, 255, 8, 65)",
        bulk('00042|42   |+42|ffffffffffffffff|FF|0xff|10|A'),
      ],
      ["return string.format('%.3d|%3.1d|%%|%i|[%.0d]', 7, 0, -12, 0)", bulk('007|  0|%|-12|[]')],
      ["return string.rep('a', 3.9)", bulk('aaa')],
    ]);
  });

  it('numbers given to redis.call are printed as "%.17g"', async ({ connection: c }) => {
    const cases: Array<[string, string]> = [
      ['1e21', '1e+21'],
      ['1.5e-7', '1.4999999999999999e-07'],
      ['2^70', '1.1805916207174113e+21'],
      ['123456789.125', '123456789.125'],
      ['0.1', '0.10000000000000001'],
      ['1e16', '10000000000000000'],
      ['1/3', '0.33333333333333331'],
      ['100', '100'],
      ['-0', '-0'],
      ['2^53 + 1', '9007199254740992'],
      ['1/0', 'inf'],
      ['0/0', '-nan'],
    ];
    for (const [expression, stored] of cases) {
      assert.equal(
        await c.call('EVAL', `redis.call('set', 'x', ${expression}) return redis.call('get', 'x')`, '0'),
        bulk(stored),
        expression,
      );
    }
  });

  it('type errors are worded as Lua 5.1 words them', async ({ connection: c }) => {
    const cases: Array<[string, string]> = [
      ['local t = nil; return t.y', "attempt to index local 't' (a nil value)"],
      ['local t = {} return t.a.b', "attempt to index field 'a' (a nil value)"],
      ['return #nil', 'attempt to get length of a nil value'],
      ["local s; return 'a' .. s", "attempt to concatenate local 's' (a nil value)"],
      ['local n; return n + 1', "attempt to perform arithmetic on local 'n' (a nil value)"],
      ['return ({}) < 1', 'attempt to compare table with number'],
      ['local t = {} t.f()', "attempt to call field 'f' (a nil value)"],
      ["return ('x'):nope()", "attempt to call method 'nope' (a nil value)"],
      ['return 1 + {}', 'attempt to perform arithmetic on a table value'],
    ];
    for (const [body, message] of cases) {
      const reply = await c.call('EVAL', body, '0');
      assert.ok(reply.startsWith(`-ERR user_script:1: ${message} script: `), `${body}: ${reply}`);
    }
  });

  it('the bit and cjson libraries', async ({ connection: c }) => {
    // Replies as redis-server 7 gives them; error replies without their " script: <sha>, on ..." tail.
    const cases: Array<[string, string]> = [
      ['return cjson.encode({})', '$2\r\n{}\r\n'],
      ['return cjson.encode({[1]=1,[3]=3})', '$10\r\n[1,null,3]\r\n'],
      ['return cjson.encode({1,nil,3})', '$10\r\n[1,null,3]\r\n'],
      ['return cjson.encode(1/3)', '$16\r\n0.33333333333333\r\n'],
      ['return cjson.encode(1e15)', '$5\r\n1e+15\r\n'],
      ["return cjson.decode('[1,2,{\"a\":null}]')[3].a == cjson.null and 'y' or 'n'", '$1\r\ny\r\n'],
      ['return cjson.decode(\'{"a":[1,2.5,"x",true]}\').a[2]', ':2\r\n'],
      ["return cjson.encode(cjson.decode('[1,2,3]'))", '$7\r\n[1,2,3]\r\n'],
      [
        "return cjson.decode('bad')",
        '-ERR user_script:1: Expected value but found invalid token at character 1\r\n',
      ],
      ["return cjson.decode('')", '-ERR user_script:1: Expected value but found T_END at character 1\r\n'],
      [
        "return cjson.decode('[1,2')",
        '-ERR user_script:1: Expected comma or array end but found T_END at character 5\r\n',
      ],
      [
        "return cjson.decode('[1 2]')",
        '-ERR user_script:1: Expected comma or array end but found T_NUMBER at character 4\r\n',
      ],
      [
        'return cjson.decode(\'{"a" 1}\')',
        '-ERR user_script:1: Expected colon but found T_NUMBER at character 6\r\n',
      ],
      [
        "return cjson.decode('{1:2}')",
        '-ERR user_script:1: Expected object key string but found T_NUMBER at character 2\r\n',
      ],
      [
        'return cjson.decode(\'{"a":1,}\')',
        '-ERR user_script:1: Expected object key string but found T_OBJ_END at character 8\r\n',
      ],
      [
        "return cjson.decode('[1] x')",
        '-ERR user_script:1: Expected the end but found invalid token at character 5\r\n',
      ],
      [
        "return cjson.decode('\"abc')",
        '-ERR user_script:1: Expected value but found unexpected end of string at character 5\r\n',
      ],
      [
        'return cjson.decode(\'"\\\\q"\')',
        '-ERR user_script:1: Expected value but found invalid escape code at character 2\r\n',
      ],
      [
        "return cjson.decode('-')",
        '-ERR user_script:1: Expected value but found invalid number at character 1\r\n',
      ],
      ["return cjson.decode('[-1.5e3, 0, -0]')", '*3\r\n:-1500\r\n:0\r\n:0\r\n'],
      ['return cjson.encode({[10]=1})', '$48\r\n[null,null,null,null,null,null,null,null,null,1]\r\n'],
      [
        'return cjson.encode({[20]=1})',
        '-ERR user_script:1: Cannot serialise table: excessively sparse array\r\n',
      ],
      ['return cjson.encode({a={b={c={}}}})', '$20\r\n{"a":{"b":{"c":{}}}}\r\n'],
      ['return cjson.encode(0/0)', '-ERR user_script:1: Cannot serialise number: must not be NaN or Inf\r\n'],
      ['return cjson.encode({x=true})', '$10\r\n{"x":true}\r\n'],
      ['return cjson.encode({[1.5]=1})', '$9\r\n{"1.5":1}\r\n'],
      [
        'return cjson.encode({[true]=1})',
        '-ERR user_script:1: Cannot serialise boolean: table key must be a number or string\r\n',
      ],
      [
        'return cjson.encode(function() end)',
        '-ERR user_script:1: Cannot serialise function: type not supported\r\n',
      ],
      ['return cjson.encode(cjson.null)', '$4\r\nnull\r\n'],
      ["return cjson.encode({1, 'a', {2}})", '$11\r\n[1,"a",[2]]\r\n'],
      ['return cjson.encode(3000000000)', '$10\r\n3000000000\r\n'],
      ['return cjson.encode(-0.5)', '$4\r\n-0.5\r\n'],
      ['return cjson.encode()', "-ERR user_script:1: bad argument #1 to 'encode' (expected 1 argument)\r\n"],
      ['return cjson.decode()', "-ERR user_script:1: bad argument #1 to 'decode' (expected 1 argument)\r\n"],
      ["return type(cjson.decode('null'))", '$8\r\nuserdata\r\n'],
      ['return cjson.decode(\'{"k":"v"}\').k', '$1\r\nv\r\n'],
      ["return cjson.decode('[[[[[[1]]]]]]')[1][1][1][1][1][1]", ':1\r\n'],
      ['return bit.tohex(65535)', '$8\r\n0000ffff\r\n'],
      ['return bit.band(0xff, 0x0f)', ':15\r\n'],
      ['return bit.lshift(1, 31)', ':-2147483648\r\n'],
      ['return bit.bnot(0)', ':-1\r\n'],
      ['return bit.tohex(-1, 4)', '$4\r\nffff\r\n'],
      ['return bit.tohex(255, -2)', '$2\r\nFF\r\n'],
      ['return bit.rol(1, 33)', ':2\r\n'],
      ['return bit.ror(1, 1)', ':-2147483648\r\n'],
      ['return bit.arshift(-256, 4)', ':-16\r\n'],
      ['return bit.rshift(-256, 4)', ':268435440\r\n'],
      ['return bit.bswap(0x12345678)', ':2018915346\r\n'],
      ['return bit.bor(1,2,4,8)', ':15\r\n'],
      ['return bit.bxor(5,3)', ':6\r\n'],
      ['return bit.tobit(2^32+5)', ':5\r\n'],
      ['return bit.tobit(1.5)', ':2\r\n'],
      ['return bit.tobit(2.5)', ':2\r\n'],
      ['return bit.tobit(-1.5)', ':-2\r\n'],
      ["return bit.tobit('10')", ':10\r\n'],
      [
        "return bit.tobit('x')",
        "-ERR user_script:1: bad argument #1 to 'tobit' (number expected, got string)\r\n",
      ],
      [
        'return bit.band()',
        "-ERR user_script:1: bad argument #1 to 'band' (number expected, got no value)\r\n",
      ],
      ['return bit.tobit(2^53)', ':0\r\n'],
    ];
    for (const [body, expected] of cases) {
      const reply = (await c.call('EVAL', body, '0')).replace(
        / script: [0-9a-f]{40}, on @user_script:1\./,
        '',
      );
      assert.equal(reply, expected, body);
    }
    // Bytes above 127 pass through cjson.encode as they are.
    assert.equal(await c.call('EVAL', "return cjson.encode('\\128\\255')", '0'), bulk('"\x80\xff"'));
  });

  it('the libraries are read-only: no script changes what later scripts see', async ({ connection: c }) => {
    for (const body of [
      'string.len = nil return 1',
      'redis.x = 1 return 1',
      'cjson.encode = nil',
      'math.pi = 3',
    ]) {
      const reply = await c.call('EVAL', body, '0');
      assert.ok(
        reply.startsWith('-ERR user_script:1: Attempt to modify a readonly table script: '),
        `${body}: ${reply}`,
      );
    }
    assert.equal(await c.call('EVAL', "return ('abc'):len() + string.len('x')", '0'), ':4\r\n');
    assert.equal(await c.call('EVAL', 'return redis.nosuch', '0'), '$-1\r\n');
    assert.equal(
      await c.call('EVAL', 'local n = 0 for k, v in pairs(bit) do n = n + 1 end return n', '0'),
      ':12\r\n',
    );
  });

  it('the cmsgpack library', async ({ connection: c }) => {
    // Replies as redis-server 7 gives them (bytes as latin1); errors without their script tail.
    const cases: Array<[string, string]> = [
      [
        'return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)',
        '$62\r\n\u0001\u00ff\u007f\u00cc\u0080\u00cc\u00ff\u00cd\u0001\u0000\u00cd\u00ff\u00ff\u00ce\u0000\u0001\u0000\u0000\u00ce\u00ff\u00ff\u00ff\u00ff\u00cf\u0000\u0000\u0000\u0001\u0000\u0000\u0000\u0000\u00e0\u00d0\u00df\u00d0\u0080\u00d1\u00ff\u007f\u00d1\u0080\u0000\u00d2\u00ff\u00ff\u007f\u00ff\u00d2\u0080\u0000\u0000\u0000\u00d3\u00ff\u00ff\u00ff\u00ff\u007f\u00ff\u00ff\u00ff\r\n',
      ],
      [
        'return cmsgpack.pack(1.5, 0.1, 1/0, 0/0, -0.0, 2^63, -2^63, 1e300)',
        '$52\r\n\u00ca?\u00c0\u0000\u0000\u00cb?\u00b9\u0099\u0099\u0099\u0099\u0099\u009a\u00ca\u007f\u0080\u0000\u0000\u00cb\u00ff\u00f8\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u00ca_\u0000\u0000\u0000\u00d3\u0080\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u00cb~7\u00e4<\u0088\u0000u\u009c\r\n',
      ],
      [
        "return cmsgpack.pack('', 'abc', string.rep('x', 31), string.rep('y', 32), string.rep('z', 256))",
        '$330\r\n\u00a0\u00a3abc\u00bfxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\u00d9 yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\u00da\u0001\u0000zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n',
      ],
      [
        'return cmsgpack.pack({}, {1,2,3}, {a=1}, {[1]=1,[3]=3}, true, false, nil)',
        '$17\r\n\u0090\u0093\u0001\u0002\u0003\u0081\u00a1a\u0001\u0082\u0001\u0001\u0003\u0003\u00c3\u00c2\u00c0\r\n',
      ],
      ['return cmsgpack.pack({1,{2,{3,{4}}}})', '$8\r\n\u0092\u0001\u0092\u0002\u0092\u0003\u0091\u0004\r\n'],
      [
        'return cmsgpack.pack()',
        "-ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)\r\n",
      ],
      [
        "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1,2}, -5, 3.5, true))}",
        '*6\r\n:1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n:-5\r\n:3\r\n:1\r\n',
      ],
      ['return cmsgpack.unpack(cmsgpack.pack({a=1})).a', ':1\r\n'],
      ["return cmsgpack.unpack('\\145')", '-ERR user_script:1: Missing bytes in input.\r\n'],
      ["return cmsgpack.unpack('\\193')", '-ERR user_script:1: Bad data format in input.\r\n'],
      ["return cmsgpack.unpack('')", '$-1\r\n'],
      ['return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}', '*2\r\n:1\r\n:1\r\n'],
      ['return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}', '*2\r\n:2\r\n:2\r\n'],
      ['return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}', '*2\r\n:-1\r\n:3\r\n'],
      ['return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}', '*3\r\n:2\r\n:1\r\n:2\r\n'],
      ['return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}', '*3\r\n:-1\r\n:2\r\n:3\r\n'],
      [
        "return cmsgpack.unpack_one('abc', 9)",
        '-ERR user_script:1: Start offset 9 greater than input length 3.\r\n',
      ],
      ['return tostring(cmsgpack.unpack(cmsgpack.pack(2^53)))', '$18\r\n9.007199254741e+15\r\n'],
      ["return cmsgpack.unpack('\\205\\1')", '-ERR user_script:1: Missing bytes in input.\r\n'],
      ['return cmsgpack._VERSION', '$18\r\nlua-cmsgpack 0.4.0\r\n'],
    ];
    for (const [body, expected] of cases) {
      const reply = (await c.call('EVAL', body, '0')).replace(
        / script: [0-9a-f]{40}, on @user_script:1\./,
        '',
      );
      assert.equal(reply, expected, body);
    }
  });

  it('the struct library', async ({ connection: c }) => {
    // Replies as redis-server 7 gives them (bytes as latin1); errors without their script tail.
    const cases: Array<[string, string]> = [
      [
        "return struct.pack('>I2<i4bBhHlL', 258, -2, -1, 255, -300, 65535, -5, 2^40)",
        '$28\r\n\u0001\u0002\u00fe\u00ff\u00ff\u00ff\u00ff\u00ff\u00d4\u00fe\u00ff\u00ff\u00fb\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u0000\u0000\u0000\u0000\u0000\u0001\u0000\u0000\r\n',
      ],
      [
        "return struct.pack('!4 b i d', 1, 2, 1.5)",
        '$16\r\n\u0001\u0000\u0000\u0000\u0002\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u00f8?\r\n',
      ],
      [
        "return struct.pack('>f d', 1.5, -0.1)",
        '$12\r\n?\u00c0\u0000\u0000\u00bf\u00b9\u0099\u0099\u0099\u0099\u0099\u009a\r\n',
      ],
      ["return struct.pack('c3 s c0', 'abcdef', 'zz', 'xyz')", '$9\r\nabczz\u0000xyz\r\n'],
      ["return struct.pack('i33', 1)", '-ERR user_script:1: integral size 33 is larger than limit of 32\r\n'],
      [
        "return struct.pack('y', 1)",
        "-ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'y')\r\n",
      ],
      ["return struct.pack('!3', 1)", '-ERR user_script:1: alignment 3 is not a power of 2\r\n'],
      [
        "return struct.pack('c5', 'ab')",
        "-ERR user_script:1: bad argument #3 to 'pack' (string too short)\r\n",
      ],
      ["return {struct.unpack('>I2<i4', struct.pack('>I2<i4', 258, -2))}", '*3\r\n:258\r\n:-2\r\n:7\r\n'],
      [
        "return {struct.unpack('bBhH', struct.pack('bBhH', -1, 255, -300, 65535))}",
        '*5\r\n:-1\r\n:255\r\n:-300\r\n:65535\r\n:7\r\n',
      ],
      ["return {struct.unpack('>d f', struct.pack('>d f', 1.5, 2.25))}", '*3\r\n:1\r\n:2\r\n:13\r\n'],
      [
        "return {struct.unpack('s c2', struct.pack('s c2', 'hi', 'yo'))}",
        '*3\r\n$2\r\nhi\r\n$2\r\nyo\r\n:6\r\n',
      ],
      ["return {struct.unpack('b c0', struct.pack('b c0', 3, 'abc'))}", '*2\r\n$3\r\nabc\r\n:5\r\n'],
      [
        "return {struct.unpack('i', 'ab')}",
        "-ERR user_script:1: bad argument #2 to 'unpack' (data string too short)\r\n",
      ],
      ["return {struct.unpack('s', 'abc')}", '-ERR user_script:1: unfinished string in data\r\n'],
      ["return {struct.unpack('b', 'abc', 2)}", '*2\r\n:98\r\n:3\r\n'],
      [
        "return {struct.unpack('b', 'abc', 0)}",
        "-ERR user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)\r\n",
      ],
      ["return {struct.unpack('c0', 'abc')}", "-ERR user_script:1: format 'c0' needs a previous size\r\n"],
      ["return struct.size('!8 b d i3 c5')", ':26\r\n'],
      [
        "return struct.size('s')",
        "-ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size)\r\n",
      ],
      [
        "return struct.size('c0')",
        "-ERR user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size)\r\n",
      ],
      ["return {struct.unpack('>l', struct.pack('>l', -2^53))}", '*2\r\n:-9007199254740992\r\n:9\r\n'],
      ["return {struct.unpack('<L', struct.pack('<L', 2^63))}", '*2\r\n:-9223372036854775808\r\n:9\r\n'],
    ];
    for (const [body, expected] of cases) {
      const reply = (await c.call('EVAL', body, '0')).replace(
        / script: [0-9a-f]{40}, on @user_script:1\./,
        '',
      );
      assert.equal(reply, expected, body);
    }
  });

  it("Lua 5.1's library as Redis has it: names in each table, the 5.1 functions 5.3 dropped", async ({
    connection: c,
  }) => {
    const surface =
      "local out = {}\nfor _, lib in ipairs({'_G', 'string', 'table', 'math', 'coroutine', 'debug', 'os', 'bit', 'struct', 'cmsgpack'}) do\n  local ok, t = pcall(function() return (lib == '_G') and _G or _G[lib] end)\n  if ok and type(t) == 'table' then\n    local names = {}\n    for k in pairs(t) do if type(k) == 'string' then names[#names + 1] = k end end\n    table.sort(names)\n    out[#out + 1] = lib .. ': ' .. table.concat(names, ' ')\n  else\n    out[#out + 1] = lib .. ': missing'\n  end\nend\nreturn out\n";
    assert.equal(
      await c.call('EVAL', surface, '0'),
      '*10\r\n$275\r\n_G: ARGV KEYS _G _VERSION __redis__err__handler assert bit cjson cmsgpack collectgarbage coroutine error gcinfo getmetatable ipairs load loadstring math next pairs pcall rawequal rawget rawset redis select setmetatable string struct table tonumber tostring type unpack xpcall\r\n$90\r\nstring: byte char dump find format gfind gmatch gsub len lower match rep reverse sub upper\r\n$64\r\ntable: concat foreach foreachi getn insert maxn remove setn sort\r\n$159\r\nmath: abs acos asin atan atan2 ceil cos cosh deg exp floor fmod frexp huge ldexp log log10 max min mod modf pi pow rad random randomseed sin sinh sqrt tan tanh\r\n$50\r\ncoroutine: create resume running status wrap yield\r\n$14\r\ndebug: missing\r\n$11\r\nos: missing\r\n$71\r\nbit: arshift band bnot bor bswap bxor lshift rol ror rshift tobit tohex\r\n$24\r\nstruct: pack size unpack\r\n$84\r\ncmsgpack: _COPYRIGHT _DESCRIPTION _NAME _VERSION pack unpack unpack_limit unpack_one\r\n',
    );
    assert.equal(
      await c.call(
        'EVAL',
        "local m, e = math.frexp(8) local m2, e2 = math.frexp(-0.3) return {tostring(m), e, tostring(m2), e2, tostring(math.ldexp(0.5, 4)), tostring(math.log10(1000)), tostring(math.atan2(1, 1)), tostring(math.cosh(1)), tostring(math.sinh(1)), tostring(math.tanh(0.5)), table.getn({1,2,3}), table.maxn({[5]=1, [2]=3}), table.foreach({a=1}, function(k, v) return k end), table.foreachi({7}, function(i, v) return v end), tostring(math.mod(7, 3)), string.gfind('a1b2', '%d')()}",
        '0',
      ),
      '*16\r\n$3\r\n0.5\r\n:4\r\n$4\r\n-0.6\r\n:-1\r\n$1\r\n8\r\n$1\r\n3\r\n$16\r\n0.78539816339745\r\n$15\r\n1.5430806348152\r\n$15\r\n1.1752011936438\r\n$16\r\n0.46211715726001\r\n:3\r\n:5\r\n$1\r\na\r\n:7\r\n$1\r\n1\r\n$1\r\n1\r\n',
    );
    const errors: Array<[string, string]> = [
      ['return table.getn(nil)', "bad argument #1 to 'getn' (table expected, got nil)"],
      ['table.setn({}, 1)', "'setn' is obsolete"],
      ["return collectgarbage('bogus')", "bad argument #1 to 'collectgarbage' (invalid option 'bogus')"],
    ];
    for (const [body, message] of errors) {
      const reply = await c.call('EVAL', body, '0');
      assert.ok(reply.startsWith(`-ERR user_script:1: ${message} script: `), `${body}: ${reply}`);
    }
    assert.equal(
      await c.call('EVAL', "return {collectgarbage(), collectgarbage('count') > 0, gcinfo() > 0}", '0'),
      '*3\r\n:0\r\n:1\r\n:1\r\n',
    );
  });

  it('redis.acl_check_cmd and the names of the redis table', async ({ connection: c }) => {
    const tail = / script: [0-9a-f]{40}, on @user_script:1\./;
    const cases: Array<[string, string]> = [
      ["return redis.acl_check_cmd('get', 'x')", ':1\r\n'],
      ["return redis.acl_check_cmd('config', 'get', 'x')", ':1\r\n'],
      ["return redis.acl_check_cmd('nosuch')", '-ERR Invalid command passed to redis.acl_check_cmd()\r\n'],
      [
        "return redis.acl_check_cmd('config', 'nosuch')",
        '-ERR Invalid command passed to redis.acl_check_cmd()\r\n',
      ],
      [
        'return redis.acl_check_cmd()',
        '-ERR Please specify at least one argument for this redis lib call\r\n',
      ],
      [
        "return redis.acl_check_cmd('set', {})",
        '-ERR Lua redis lib command arguments must be strings or integers\r\n',
      ],
    ];
    for (const [body, expected] of cases)
      assert.equal((await c.call('EVAL', body, '0')).replace(tail, ''), expected, body);
    const names =
      "local names = {} for k in pairs(redis) do names[#names + 1] = k end table.sort(names) return table.concat(names, ' ')";
    assert.equal(
      await c.call('EVAL', names, '0'),
      bulk(
        'LOG_DEBUG LOG_NOTICE LOG_VERBOSE LOG_WARNING REDIS_VERSION REDIS_VERSION_NUM REPL_ALL REPL_AOF REPL_NONE REPL_REPLICA REPL_SLAVE acl_check_cmd breakpoint call debug error_reply log pcall replicate_commands set_repl setresp sha1hex status_reply',
      ),
    );
  });

  it('cjson.decode reads numbers as strtod does (decode_invalid_numbers): hex, inf, nan, +1', async ({
    connection: c,
  }) => {
    // Each input decoded: numbers printed by tostring, anything else encoded back; errors without their tail.
    const script =
      "local v = cjson.decode(ARGV[1]) return type(v) == 'number' and tostring(v) or cjson.encode(v)";
    const cases: Array<[string, string]> = [
      ['0x10', '16'],
      ['nan', 'nan'],
      ['inf', 'inf'],
      ['-inf', '-inf'],
      ['+1', '1'],
      ['01', '1'],
      ['1.', '1'],
      ['.5', 'ERR user_script:1: Expected value but found invalid token at character 1'],
      ['1e5', '100000'],
      ['-0', '-0'],
      ['NaN', 'nan'],
      ['Infinity', 'inf'],
      ['[1,]', 'ERR user_script:1: Expected value but found T_ARR_END at character 4'],
      ['1E+2', '100'],
      ['  5  ', '5'],
      ['"\\u0000"', '"\\u0000"'],
      ['true false', 'ERR user_script:1: Expected the end but found T_BOOLEAN at character 6'],
      ['0x1.8p3', '12'],
      ['-nan', '-nan'],
      ['[+5, 0x1F]', '[5,31]'],
      ['1e', 'ERR user_script:1: Expected the end but found invalid token at character 2'],
      ['-', 'ERR user_script:1: Expected value but found invalid number at character 1'],
      ['nul', 'ERR user_script:1: Expected value but found invalid token at character 1'],
      ['+x', 'ERR user_script:1: Expected value but found invalid number at character 1'],
    ];
    for (const [input, expected] of cases) {
      const reply = await c.call('EVAL', script, '0', input);
      const text = reply.startsWith('-')
        ? reply.slice(1, -2).replace(/ script: .*$/, '')
        : reply.slice(reply.indexOf('\r\n') + 2, -2);
      assert.equal(text, expected, input);
    }
  });

  it("cjson's settings: cjson.new() and its encode_* and decode_* functions", async ({ connection: c }) => {
    const cases: Array<[string, string]> = [
      [
        'local c = cjson.new() return {c.encode_max_depth(), c.decode_max_depth(), c.encode_number_precision(), tostring(c.encode_keep_buffer()), tostring(c.encode_invalid_numbers()), tostring(c.decode_invalid_numbers())}',
        '*6\r\n:1000\r\n:1000\r\n:14\r\n$4\r\ntrue\r\n$5\r\nfalse\r\n$4\r\ntrue\r\n',
      ],
      ['local c = cjson.new() return {c.encode_sparse_array()}', '*3\r\n$-1\r\n:2\r\n:10\r\n'],
      [
        'local c = cjson.new() c.encode_sparse_array(true) return c.encode({[1]=1, [20]=2})',
        '$14\r\n{"1":1,"20":2}\r\n',
      ],
      [
        'local c = cjson.new() c.encode_sparse_array(false, 0) return c.encode({[1]=1, [20]=2})',
        '$95\r\n[1,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,2]\r\n',
      ],
      [
        'local c = cjson.new() c.encode_number_precision(3) return c.encode({1/3, 12345})',
        '$16\r\n[0.333,1.23e+04]\r\n',
      ],
      [
        'local c = cjson.new() return c.encode_number_precision(15)',
        "-ERR user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)\r\n",
      ],
      [
        'local c = cjson.new() return c.encode_number_precision(0)',
        "-ERR user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)\r\n",
      ],
      [
        'local c = cjson.new() c.encode_invalid_numbers(true) return c.encode({0/0, 1/0, -1/0})',
        '$14\r\n[nan,inf,-inf]\r\n',
      ],
      [
        "local c = cjson.new() c.encode_invalid_numbers('null') return c.encode({0/0, 1/0})",
        '$11\r\n[null,null]\r\n',
      ],
      ["local c = cjson.new() return c.encode_invalid_numbers('null')", '$4\r\nnull\r\n'],
      [
        "local c = cjson.new() return c.encode_invalid_numbers('bogus')",
        "-ERR user_script:1: bad argument #1 to 'encode_invalid_numbers' (invalid option 'bogus')\r\n",
      ],
      [
        "local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('0x10')",
        '-ERR user_script:1: Expected value but found invalid number at character 1\r\n',
      ],
      [
        "local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('nan')",
        '-ERR user_script:1: Expected value but found invalid token at character 1\r\n',
      ],
      [
        "local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('-inf')",
        '-ERR user_script:1: Expected value but found invalid number at character 1\r\n',
      ],
      [
        "local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('[01]')",
        '-ERR user_script:1: Expected value but found invalid number at character 2\r\n',
      ],
      [
        "local c = cjson.new() c.decode_max_depth(2) return c.decode('[[[1]]]')",
        '-ERR user_script:1: Found too many nested data structures (3) at character 3\r\n',
      ],
      [
        'local c = cjson.new() c.encode_max_depth(2) return c.encode({{{1}}})',
        '-ERR user_script:1: Cannot serialise, excessive nesting (3)\r\n',
      ],
      [
        'local c = cjson.new() return c.encode_max_depth(1, 2)',
        "-ERR user_script:1: bad argument #2 to 'encode_max_depth' (found too many arguments)\r\n",
      ],
      ["local c = cjson.new() return c.encode_keep_buffer('on')", ':1\r\n'],
      ['return cjson.encode({1/3})', '$18\r\n[0.33333333333333]\r\n'],
    ];
    for (const [body, expected] of cases) {
      const reply = (await c.call('EVAL', body, '0')).replace(
        / script: [0-9a-f]{40}, on @user_script:1\./,
        '',
      );
      assert.equal(reply, expected, body);
    }
    const names =
      "local names = {} for k in pairs(cjson) do names[#names + 1] = k end table.sort(names) return table.concat(names, ' ')";
    assert.equal(
      await c.call('EVAL', names, '0'),
      bulk(
        '_NAME _VERSION decode decode_invalid_numbers decode_max_depth encode encode_invalid_numbers encode_keep_buffer encode_max_depth encode_number_precision encode_sparse_array new null',
      ),
    );
  });
});
