import assert from 'node:assert/strict';
import { conformanceSuite } from '../helpers/conformance.ts';
import type { RawConnection } from '../helpers/raw-connection.ts';
import { bulk } from '../helpers/resp-text.ts';

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
const SYNTAX = '-ERR syntax error\r\n';

/** Redis's documentation's example: Palermo and Catania in `Sicily`. */
async function sicily(c: RawConnection): Promise<void> {
  assert.equal(
    await c.call(
      'GEOADD',
      'Sicily',
      '13.361389',
      '38.115556',
      'Palermo',
      '15.087269',
      '37.502669',
      'Catania',
    ),
    ':2\r\n',
  );
}

conformanceSuite('geo', (it) => {
  it('GEOADD stores geohash scores; GEOPOS, GEOHASH and GEODIST decode them', async ({ connection: c }) => {
    await sicily(c);
    assert.equal(
      await c.call('ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES'),
      `*4\r\n${bulk('Palermo')}${bulk('3479099956230698')}${bulk('Catania')}${bulk('3479447370796909')}`,
    );
    assert.equal(
      await c.call('GEOPOS', 'Sicily', 'Palermo', 'nowhere', 'Catania'),
      `*3\r\n*2\r\n${bulk('13.36138933897018433')}${bulk('38.11555639549629859')}*-1\r\n*2\r\n${bulk('15.08726745843887329')}${bulk('37.50266842333162032')}`,
    );
    assert.equal(
      await c.call('GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nowhere'),
      `*3\r\n${bulk('sqc8b49rny0')}${bulk('sqdtr74hyu0')}$-1\r\n`,
    );
    assert.equal(await c.call('GEODIST', 'Sicily', 'Palermo', 'Catania'), bulk('166274.1516'));
    assert.equal(await c.call('GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'), bulk('166.2742'));
    assert.equal(await c.call('GEODIST', 'Sicily', 'Palermo', 'Catania', 'MI'), bulk('103.3182'));
    assert.equal(await c.call('GEODIST', 'Sicily', 'Palermo', 'Catania', 'ft'), bulk('545518.8700'));
    assert.equal(await c.call('GEODIST', 'Sicily', 'Palermo', 'nowhere'), '$-1\r\n');
    assert.equal(await c.call('GEODIST', 'missing', 'a', 'b'), '$-1\r\n');
    assert.equal(
      await c.call('GEODIST', 'Sicily', 'Palermo', 'Catania', 'yd'),
      '-ERR unsupported unit provided. please use M, KM, FT, MI\r\n',
    );
    assert.equal(await c.call('GEODIST', 'Sicily', 'Palermo', 'Catania', 'km', 'x'), SYNTAX);
    assert.equal(await c.call('GEOPOS', 'missing', 'a'), '*1\r\n*-1\r\n');
    // Scores that are no geohash decode as C converts them (found by the differential test).
    assert.equal(await c.call('ZADD', 'odd', '-inf', 'a', 'inf', 'b', '-1', 'c', '1e300', 'd'), ':4\r\n');
    assert.equal(
      await c.call('GEOPOS', 'odd', 'a', 'b', 'c', 'd'),
      `*4\r\n*2\r\n${bulk('180')}${bulk('-85.05112751263942528')}` +
        `*2\r\n${bulk('-179.99999731779098511')}${bulk('-85.05112751263942528')}` +
        `*2\r\n${bulk('180')}${bulk('85.0511287799999991')}` +
        `*2\r\n${bulk('-179.99999731779098511')}${bulk('-85.05112751263942528')}`,
    );
    assert.equal(await c.call('GEOHASH', 'missing', 'a'), '*1\r\n$-1\r\n');
  });

  it('GEOADD options, limits and errors', async ({ connection: c }) => {
    await sicily(c);
    assert.equal(
      await c.call('GEOADD', 'Sicily', 'NX', '13', '38', 'Palermo', '14', '37', 'Messina'),
      ':1\r\n',
    );
    assert.equal(
      await c.call('GEOADD', 'Sicily', 'XX', 'CH', '13', '38', 'Palermo', '14', '37', 'Nowhere'),
      ':1\r\n',
    );
    assert.equal(await c.call('GEOADD', 'Sicily', 'CH', '13', '38', 'Palermo'), ':0\r\n');
    assert.equal(await c.call('ZCARD', 'Sicily'), ':3\r\n');
    assert.equal(await c.call('GEOADD', 'Sicily', 'NX', 'XX', '13', '38', 'x'), SYNTAX);
    assert.equal(await c.call('GEOADD', 'Sicily', 'GT', '13', '38', 'x'), SYNTAX);
    assert.equal(await c.call('GEOADD', 'Sicily', '13', '38', 'x', '14'), SYNTAX);
    assert.equal(
      await c.call('GEOADD', 'Sicily', '181', '38', 'x'),
      '-ERR invalid longitude,latitude pair 181.000000,38.000000\r\n',
    );
    assert.equal(
      await c.call('GEOADD', 'Sicily', '10', '-85.06', 'x'),
      '-ERR invalid longitude,latitude pair 10.000000,-85.060000\r\n',
    );
    assert.equal(await c.call('GEOADD', 'Sicily', '10', 'north', 'x'), '-ERR value is not a valid float\r\n');
    // One bad point and nothing is added.
    assert.equal(
      await c.call('GEOADD', 'Sicily', '10', '10', 'ok', '10', '90', 'bad'),
      '-ERR invalid longitude,latitude pair 10.000000,90.000000\r\n',
    );
    assert.equal(await c.call('ZSCORE', 'Sicily', 'ok'), '$-1\r\n');
    // The corners of the map.
    assert.equal(
      await c.call('GEOADD', 'corners', '-180', '-85.05112878', 'sw', '180', '85.05112878', 'ne'),
      ':2\r\n',
    );
    assert.equal(
      await c.call('GEOHASH', 'corners', 'sw', 'ne'),
      `*2\r\n${bulk('00bh0hbj200')}${bulk('bp05b5048p0')}`,
    );
    await c.call('SET', 'string', 'x');
    assert.equal(await c.call('GEOADD', 'string', '10', '10', 'a'), WRONGTYPE);
    assert.equal(await c.call('GEOPOS', 'string', 'a'), WRONGTYPE);
    assert.equal(await c.call('GEODIST', 'string', 'a', 'b'), WRONGTYPE);
    assert.equal(await c.call('GEORADIUS', 'string', '10', '10', '1', 'km'), WRONGTYPE);
  });

  it('GEORADIUS and GEORADIUSBYMEMBER: options, order, STORE', async ({ connection: c }) => {
    await sicily(c);
    assert.equal(await c.call('GEOADD', 'Sicily', '13.583333', '37.316667', 'Agrigento'), ':1\r\n');
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'ASC'),
      `*3\r\n*2\r\n${bulk('Catania')}${bulk('56.4413')}*2\r\n${bulk('Agrigento')}${bulk('130.4235')}*2\r\n${bulk('Palermo')}${bulk('190.4424')}`,
    );
    assert.equal(
      await c.call(
        'GEORADIUS',
        'Sicily',
        '15',
        '37',
        '200',
        'km',
        'WITHCOORD',
        'WITHDIST',
        'WITHHASH',
        'COUNT',
        '1',
      ),
      `*1\r\n*4\r\n${bulk('Catania')}${bulk('56.4413')}:3479447370796909\r\n*2\r\n${bulk('15.08726745843887329')}${bulk('37.50266842333162032')}`,
    );
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'DESC'),
      `*3\r\n${bulk('Palermo')}${bulk('Agrigento')}${bulk('Catania')}`,
    );
    assert.equal(
      await c.call('GEORADIUSBYMEMBER', 'Sicily', 'Agrigento', '100', 'km'),
      `*2\r\n${bulk('Agrigento')}${bulk('Palermo')}`,
    );
    assert.equal(await c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km'), '*0\r\n');
    assert.equal(await c.call('GEORADIUS', 'missing', '15', '37', '1', 'km'), '*0\r\n');
    assert.equal(await c.call('GEORADIUSBYMEMBER', 'missing', 'x', 'not-a-radius', 'km'), '*0\r\n');
    assert.equal(
      await c.call('GEORADIUSBYMEMBER', 'Sicily', 'nowhere', '100', 'km'),
      '-ERR could not decode requested zset member\r\n',
    );
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', 'far', 'km'),
      '-ERR need numeric radius\r\n',
    );
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', '-1', 'km'),
      '-ERR radius cannot be negative\r\n',
    );
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'leagues'),
      '-ERR unsupported unit provided. please use M, KM, FT, MI\r\n',
    );
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT', '0'),
      '-ERR COUNT must be > 0\r\n',
    );
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'ANY'),
      '-ERR the ANY argument requires COUNT argument\r\n',
    );
    assert.equal(await c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'NEAREST'), SYNTAX);
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'STORE', 'x', 'WITHDIST'),
      '-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n',
    );
    assert.equal(await c.call('GEORADIUS_RO', 'Sicily', '15', '37', '1', 'km', 'STORE', 'x'), SYNTAX);

    assert.equal(await c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'near'), ':3\r\n');
    assert.equal(await c.call('ZSCORE', 'near', 'Catania'), bulk('3479447370796909'));
    assert.equal(
      await c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '2', 'STOREDIST', 'dist'),
      ':2\r\n',
    );
    assert.equal(await c.call('ZRANGE', 'dist', '0', '-1'), `*2\r\n${bulk('Catania')}${bulk('Agrigento')}`);
    // Nothing found: the destination is deleted.
    assert.equal(await c.call('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'STORE', 'near'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'near'), ':0\r\n');
    assert.equal(await c.call('SET', 'dest', 'x'), '+OK\r\n');
    assert.equal(await c.call('GEORADIUS', 'missing', '15', '37', '1', 'km', 'STORE', 'dest'), ':0\r\n');
    assert.equal(await c.call('EXISTS', 'dest'), ':0\r\n');
  });

  it('GEOSEARCH and GEOSEARCHSTORE: from a member or a point, by radius or box', async ({
    connection: c,
  }) => {
    await sicily(c);
    assert.equal(
      await c.call('GEOADD', 'Sicily', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'),
      ':2\r\n',
    );
    assert.equal(
      await c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC'),
      `*2\r\n${bulk('Catania')}${bulk('Palermo')}`,
    );
    assert.equal(
      await c.call(
        'GEOSEARCH',
        'Sicily',
        'FROMLONLAT',
        '15',
        '37',
        'BYBOX',
        '400',
        '400',
        'km',
        'ASC',
        'WITHCOORD',
        'WITHDIST',
      ),
      `*4\r\n*3\r\n${bulk('Catania')}${bulk('56.4413')}*2\r\n${bulk('15.08726745843887329')}${bulk('37.50266842333162032')}` +
        `*3\r\n${bulk('Palermo')}${bulk('190.4424')}*2\r\n${bulk('13.36138933897018433')}${bulk('38.11555639549629859')}` +
        `*3\r\n${bulk('edge2')}${bulk('279.7403')}*2\r\n${bulk('17.24151045083999634')}${bulk('38.78813451624225195')}` +
        `*3\r\n${bulk('edge1')}${bulk('279.7405')}*2\r\n${bulk('12.7584877610206604')}${bulk('38.78813451624225195')}`,
    );
    assert.equal(
      await c.call(
        'GEOSEARCH',
        'Sicily',
        'FROMMEMBER',
        'Palermo',
        'BYRADIUS',
        '170',
        'km',
        'COUNT',
        '1',
        'ANY',
      ),
      '*1\r\n$7\r\nPalermo\r\n',
    );
    assert.equal(
      await c.call('geosearch', 'Sicily', 'BYRADIUS', '10', 'km', 'ASC', 'WITHDIST'),
      '-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch\r\n',
    );
    assert.equal(
      await c.call('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'ASC', 'WITHDIST', 'WITHHASH'),
      '-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n',
    );
    assert.equal(
      await c.call(
        'GEOSEARCH',
        'Sicily',
        'FROMMEMBER',
        'Palermo',
        'FROMLONLAT',
        '1',
        '2',
        'BYRADIUS',
        '1',
        'km',
      ),
      SYNTAX,
    );
    assert.equal(
      await c.call(
        'GEOSEARCH',
        'Sicily',
        'FROMMEMBER',
        'Palermo',
        'BYRADIUS',
        '1',
        'km',
        'BYBOX',
        '1',
        '1',
        'km',
      ),
      SYNTAX,
    );
    assert.equal(
      await c.call('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'),
      '-ERR could not decode requested zset member\r\n',
    );
    assert.equal(
      await c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '2', 'BYBOX', '-1', '1', 'km'),
      '-ERR height or width cannot be negative\r\n',
    );
    assert.equal(
      await c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '2', 'BYBOX', 'w', '1', 'km'),
      '-ERR need numeric width\r\n',
    );
    assert.equal(
      await c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '2', 'BYBOX', '1', 'h', 'km'),
      '-ERR need numeric height\r\n',
    );
    assert.equal(
      await c.call('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '2', 'BYRADIUS', '1', 'km', 'STORE', 'x'),
      SYNTAX,
    );
    assert.equal(await c.call('GEOSEARCH', 'missing', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'), '*0\r\n');

    assert.equal(
      await c.call(
        'GEOSEARCHSTORE',
        'found',
        'Sicily',
        'FROMLONLAT',
        '15',
        '37',
        'BYBOX',
        '400',
        '400',
        'km',
        'COUNT',
        '3',
      ),
      ':3\r\n',
    );
    assert.equal(
      await c.call('ZRANGE', 'found', '0', '-1'),
      `*3\r\n${bulk('Palermo')}${bulk('Catania')}${bulk('edge2')}`,
    );
    assert.equal(
      await c.call(
        'GEOSEARCHSTORE',
        'found',
        'Sicily',
        'FROMLONLAT',
        '15',
        '37',
        'BYRADIUS',
        '100',
        'km',
        'STOREDIST',
      ),
      ':1\r\n',
    );
    assert.equal(
      await c.call('ZRANGE', 'found', '0', '-1', 'WITHSCORES'),
      `*2\r\n${bulk('Catania')}${bulk('56.441257870158204')}`,
    );
    assert.equal(
      await c.call(
        'GEOSEARCHSTORE',
        'found',
        'Sicily',
        'FROMLONLAT',
        '15',
        '37',
        'BYRADIUS',
        '1',
        'km',
        'WITHDIST',
      ),
      '-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n',
    );
  });

  it("COUNT keeps equally distant points in the order of Redis's partial quicksort", async ({
    connection: c,
  }) => {
    // Found by the differential test: many members on three spots, fewer kept than found.
    const members: string[] = [];
    for (let i = 0; i < 60; i++) members.push(String(i % 3), `m${i}`);
    assert.equal(await c.call('ZADD', 'spot', ...members), ':60\r\n');
    const search = async (order: string, count: number): Promise<string> =>
      c.call('GEORADIUS', 'spot', '-180', '-85', '20000', 'mi', order, 'COUNT', String(count));
    const names = (list: string): string =>
      `*${list.split(' ').length}\r\n${list.split(' ').map(bulk).join('')}`;
    assert.equal(await search('ASC', 2), names('m7 m10'));
    assert.equal(await search('DESC', 5), names('m11 m59 m56 m53 m50'));
    assert.equal(
      await search('ASC', 17),
      names('m7 m10 m13 m16 m19 m22 m25 m28 m31 m34 m37 m4 m40 m43 m46 m49 m52'),
    );
  });

  it('searches near the poles and across the antimeridian, with large radii', async ({ connection: c }) => {
    assert.equal(
      await c.call(
        'GEOADD',
        'world',
        '179.9',
        '0',
        'east',
        '-179.9',
        '0',
        'west',
        '0',
        '84',
        'north',
        '0',
        '-80',
        'south',
        '0',
        '0',
        'origin',
      ),
      ':5\r\n',
    );
    // No wrapping at the antimeridian, as in Redis.
    assert.equal(await c.call('GEORADIUS', 'world', '180', '0', '50', 'km', 'ASC'), `*1\r\n${bulk('east')}`);
    assert.equal(
      await c.call('GEOSEARCH', 'world', 'FROMLONLAT', '0', '85', 'BYRADIUS', '200', 'km'),
      `*1\r\n${bulk('north')}`,
    );
    assert.equal(
      await c.call('GEORADIUS', 'world', '0', '0', '20000', 'km', 'ASC'),
      `*3\r\n${bulk('origin')}${bulk('south')}${bulk('north')}`,
    );
    assert.equal(await c.call('GEODIST', 'world', 'east', 'west', 'km'), bulk('22.2454'));
  });
});
