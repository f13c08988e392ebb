// GEO commands (geo.c of Redis 7.0): points are sorted set members scored by their 52-bit geohash,
// so GEOADD is a ZADD and every other sorted set command works on them. Codis 3.2's servers have
// them (Redis 3.2) and its proxy routes them, so a deployment that uses them keeps working.
import { parseLongLong } from '../arguments.ts';
import type { Client } from '../client.ts';
import type { CommandDefinition } from '../command-registry.ts';
import { NOT_FLOAT, NOT_INTEGER, SYNTAX } from '../errors.ts';
import {
  decodeScore,
  distanceWithin,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  type GeoShape,
  geoDistance,
  geohashScore,
  isZeroHash,
  scoresOfCell,
  searchAreas,
  standardGeohash,
} from '../geo/geohash.ts';
import { pqsort } from '../geo/partial-sort.ts';
import { formatLongDoubleHuman, longDoubleOfDouble } from '../long-double.ts';
import { ZSetValue } from '../types/zset.ts';
import { parseScore, readZset, storeResult, zadd } from './sorted-sets.ts';

const UNSUPPORTED_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';
const UNDECODABLE_MEMBER = 'ERR could not decode requested zset member';

/** printf's %f (6 decimals), for the coordinates in an error message. */
function formatFixed6(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (Object.is(value, -0)) return '-0.000000';
  // toFixed switches to exponent notation from 1e21; those doubles are integers.
  if (Math.abs(value) >= 1e21) return `${BigInt(value)}.000000`;
  return value.toFixed(6);
}

/** addReplyHumanLongDouble: a coordinate as %.17Lf without trailing zeros. */
function replyCoordinate(client: Client, value: number): void {
  const text = formatLongDoubleHuman(longDoubleOfDouble(value));
  if (client.out.protocol === 3) client.out.raw(`,${text}\r\n`);
  else client.out.bulk(text);
}

/** addReplyDoubleDistance: %.4f, a bulk string in both protocols. */
function replyDistance(client: Client, meters: number): void {
  client.out.bulk(meters.toFixed(4));
}

/** extractLongLatOrReply: [longitude, latitude] from two arguments. */
function longLatOf(client: Client, argv: string[], at: number): [number, number] | undefined {
  const longitude = parseScore(argv[at] as string);
  if (longitude === undefined) {
    client.replyError(NOT_FLOAT);
    return undefined;
  }
  const latitude = parseScore(argv[at + 1] as string);
  if (latitude === undefined) {
    client.replyError(NOT_FLOAT);
    return undefined;
  }
  if (
    longitude < GEO_LONG_MIN ||
    longitude > GEO_LONG_MAX ||
    latitude < GEO_LAT_MIN ||
    latitude > GEO_LAT_MAX
  ) {
    client.replyError(
      `ERR invalid longitude,latitude pair ${formatFixed6(longitude)},${formatFixed6(latitude)}`,
    );
    return undefined;
  }
  return [longitude, latitude];
}

/** extractUnitOrReply: meters per unit, or undefined after replying. */
function unitOf(client: Client, text: string): number | undefined {
  switch (text.toLowerCase()) {
    case 'm':
      return 1;
    case 'km':
      return 1000;
    case 'ft':
      return 0.3048;
    case 'mi':
      return 1609.34;
    default:
      client.replyError(UNSUPPORTED_UNIT);
      return undefined;
  }
}

/** A non-negative number argument, with Redis's message when it is not a float. */
function lengthOf(client: Client, text: string, notNumeric: string): number | undefined {
  const value = parseScore(text);
  if (value === undefined) client.replyError(`ERR ${notNumeric}`);
  return value;
}

function geoadd(client: Client, argv: string[]): void {
  let nx = false;
  let xx = false;
  let longIndex = 2;
  for (; longIndex < argv.length; longIndex++) {
    const option = (argv[longIndex] as string).toLowerCase();
    if (option === 'nx') nx = true;
    else if (option === 'xx') xx = true;
    else if (option !== 'ch') break;
  }
  if ((argv.length - longIndex) % 3 !== 0 || (xx && nx)) {
    client.replyError(SYNTAX);
    return;
  }
  // Redis rewrites the command into ZADD key [options] score member ... and runs ZADD.
  const zaddArgv = argv.slice(0, longIndex);
  zaddArgv[0] = 'zadd';
  for (let at = longIndex; at < argv.length; at += 3) {
    const point = longLatOf(client, argv, at);
    if (point === undefined) return;
    zaddArgv.push(String(geohashScore(point[0], point[1])), argv[at + 2] as string);
  }
  zadd(client, zaddArgv);
}

function geodist(client: Client, argv: string[]): void {
  let toMeters = 1;
  if (argv.length === 5) {
    const unit = unitOf(client, argv[4] as string);
    if (unit === undefined) return;
    toMeters = unit;
  } else if (argv.length > 5) {
    client.replyError(SYNTAX);
    return;
  }
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  const first = zset?.score(argv[2] as string);
  const second = zset?.score(argv[3] as string);
  if (first === undefined || second === undefined) {
    client.out.nullBulk();
    return;
  }
  const [lon1, lat1] = decodeScore(first);
  const [lon2, lat2] = decodeScore(second);
  replyDistance(client, geoDistance(lon1, lat1, lon2, lat2) / toMeters);
}

function geohash(client: Client, argv: string[]): void {
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  client.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i] as string);
    if (score === undefined) client.out.nullBulk();
    else client.out.bulk(standardGeohash(score));
  }
}

function geopos(client: Client, argv: string[]): void {
  const zset = readZset(client, argv[1] as string);
  if (zset === undefined) return;
  client.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i] as string);
    if (score === undefined) {
      client.out.nullArray();
      continue;
    }
    const [longitude, latitude] = decodeScore(score);
    client.out.arrayHeader(2);
    replyCoordinate(client, longitude);
    replyCoordinate(client, latitude);
  }
}

// georadiusGeneric's flags.
const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

interface GeoPoint {
  member: string;
  score: number;
  longitude: number;
  latitude: number;
  distance: number;
}

function nearerFirst(a: GeoPoint, b: GeoPoint): number {
  return a.distance > b.distance ? 1 : a.distance === b.distance ? 0 : -1;
}

function fartherFirst(a: GeoPoint, b: GeoPoint): number {
  return a.distance < b.distance ? 1 : a.distance === b.distance ? 0 : -1;
}

/** The position of a member (longLatFromMember), or undefined. */
function memberPosition(zset: ZSetValue, member: string): [number, number] | undefined {
  const score = zset.score(member);
  return score === undefined ? undefined : decodeScore(score);
}

/** extractDistanceOrReply into the shape. */
function radiusInto(client: Client, argv: string[], at: number, shape: GeoShape): boolean {
  const radius = lengthOf(client, argv[at] as string, 'need numeric radius');
  if (radius === undefined) return false;
  if (radius < 0) {
    client.replyError('ERR radius cannot be negative');
    return false;
  }
  const unit = unitOf(client, argv[at + 1] as string);
  if (unit === undefined) return false;
  shape.byBox = false;
  shape.radius = radius;
  shape.conversion = unit;
  return true;
}

/** extractBoxOrReply into the shape. */
function boxInto(client: Client, argv: string[], at: number, shape: GeoShape): boolean {
  const width = lengthOf(client, argv[at] as string, 'need numeric width');
  if (width === undefined) return false;
  const height = lengthOf(client, argv[at + 1] as string, 'need numeric height');
  if (height === undefined) return false;
  if (height < 0 || width < 0) {
    client.replyError('ERR height or width cannot be negative');
    return false;
  }
  const unit = unitOf(client, argv[at + 2] as string);
  if (unit === undefined) return false;
  shape.byBox = true;
  shape.width = width;
  shape.height = height;
  shape.conversion = unit;
  return true;
}

/**
 * The members inside the shape, scanning the nine cells in Redis's order and each by score (so an
 * unsorted reply lists them as redis-server does); stops at `limit` when it is not 0 (ANY).
 */
function pointsInShape(zset: ZSetValue, shape: GeoShape, limit: number): GeoPoint[] {
  const found: GeoPoint[] = [];
  const cells = searchAreas(shape);
  let lastProcessed = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i] as (typeof cells)[number];
    if (isZeroHash(cell)) continue;
    // Very large radii can make adjacent neighbours the same cell: scanned once.
    const previous = cells[lastProcessed] as (typeof cells)[number];
    if (lastProcessed !== 0 && cell.bits === previous.bits && cell.step === previous.step) continue;
    if (limit !== 0 && found.length >= limit) break;
    const [min, max] = scoresOfCell(cell);
    for (
      let node = zset.firstInScoreRange({ min, max, minExclusive: false, maxExclusive: true });
      node !== null && node.score < max;
      node = node.next
    ) {
      const [longitude, latitude] = decodeScore(node.score);
      const distance = distanceWithin(shape, longitude, latitude);
      if (distance >= 0)
        found.push({ member: node.member, score: node.score, longitude, latitude, distance });
      if (limit !== 0 && found.length >= limit) break;
    }
    lastProcessed = i;
  }
  return found;
}

function georadiusGeneric(client: Client, argv: string[], sourceIndex: number, flags: number): void {
  const zset = readZset(client, argv[sourceIndex] as string);
  if (zset === undefined) return;
  let storeKey: string | null = null;
  let storeDistances = false;
  const shape: GeoShape = {
    longitude: 0,
    latitude: 0,
    conversion: 1,
    byBox: false,
    radius: 0,
    width: 0,
    height: 0,
  };
  let baseArgs: number;
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    const point = longLatOf(client, argv, 2);
    if (point === undefined) return;
    [shape.longitude, shape.latitude] = point;
    if (!radiusInto(client, argv, baseArgs - 2, shape)) return;
  } else if (flags & RADIUS_MEMBER && zset === null) {
    // No source key: the arguments are still parsed, to know which empty reply to give.
    baseArgs = 5;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    const point = memberPosition(zset as ZSetValue, argv[2] as string);
    if (point === undefined) {
      client.replyError(UNDECODABLE_MEMBER);
      return;
    }
    [shape.longitude, shape.latitude] = point;
    if (!radiusInto(client, argv, baseArgs - 2, shape)) return;
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storeKey = argv[1] as string;
    }
  }

  let withDist = false;
  let withHash = false;
  let withCoord = false;
  let fromMember = false;
  let fromLonLat = false;
  let byRadius = false;
  let byBox = false;
  let sort = SORT_NONE;
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const at = baseArgs + i;
    const option = (argv[at] as string).toLowerCase();
    if (option === 'withdist') withDist = true;
    else if (option === 'withhash') withHash = true;
    else if (option === 'withcoord') withCoord = true;
    else if (option === 'any') any = true;
    else if (option === 'asc') sort = SORT_ASC;
    else if (option === 'desc') sort = SORT_DESC;
    else if (option === 'count' && i + 1 < remaining) {
      const value = parseLongLong(argv[at + 1] as string);
      if (value === undefined) {
        client.replyError(NOT_INTEGER);
        return;
      }
      if (value <= 0) {
        client.replyError('ERR COUNT must be > 0');
        return;
      }
      count = value;
      i++;
    } else if (
      (option === 'store' || option === 'storedist') &&
      i + 1 < remaining &&
      !(flags & RADIUS_NOSTORE) &&
      !(flags & GEOSEARCH)
    ) {
      storeKey = argv[at + 1] as string;
      storeDistances = option === 'storedist';
      i++;
    } else if (option === 'storedist' && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storeDistances = true;
    } else if (option === 'frommember' && i + 1 < remaining && flags & GEOSEARCH && !fromLonLat) {
      if (zset !== null) {
        const point = memberPosition(zset, argv[at + 1] as string);
        if (point === undefined) {
          client.replyError(UNDECODABLE_MEMBER);
          return;
        }
        [shape.longitude, shape.latitude] = point;
      }
      fromMember = true;
      i++;
    } else if (option === 'fromlonlat' && i + 2 < remaining && flags & GEOSEARCH && !fromMember) {
      const point = longLatOf(client, argv, at + 1);
      if (point === undefined) return;
      [shape.longitude, shape.latitude] = point;
      fromLonLat = true;
      i += 2;
    } else if (option === 'byradius' && i + 2 < remaining && flags & GEOSEARCH && !byBox) {
      if (!radiusInto(client, argv, at + 1, shape)) return;
      byRadius = true;
      i += 2;
    } else if (option === 'bybox' && i + 3 < remaining && flags & GEOSEARCH && !byRadius) {
      if (!boxInto(client, argv, at + 1, shape)) return;
      byBox = true;
      i += 3;
    } else {
      client.replyError(SYNTAX);
      return;
    }
  }

  if (storeKey !== null && (withDist || withHash || withCoord)) {
    const what = flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    client.replyError(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return;
  }
  if (flags & GEOSEARCH && !(fromMember || fromLonLat)) {
    client.replyError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
    return;
  }
  if (flags & GEOSEARCH && !(byRadius || byBox)) {
    client.replyError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
    return;
  }
  if (any && count === 0) {
    client.replyError('ERR the ANY argument requires COUNT argument');
    return;
  }
  if (zset === null) {
    if (storeKey !== null) storeResult(client, storeKey, new ZSetValue(), '');
    else client.out.arrayHeader(0);
    return;
  }
  // COUNT means the closest ones: sorted ascending unless ANY (the first ones found) was asked.
  if (count !== 0 && sort === SORT_NONE && !any) sort = SORT_ASC;

  const points = pointsInShape(zset, shape, any ? count : 0);
  if (points.length === 0 && storeKey === null) {
    client.out.arrayHeader(0);
    return;
  }
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== SORT_NONE) {
    const compare = sort === SORT_ASC ? nearerFirst : fartherFirst;
    // Redis sorts everything with qsort, or only the COUNT first with its own partial quicksort:
    // equal distances come out in that algorithm's order.
    if (returned === points.length) points.sort(compare);
    else pqsort(points, compare, 0, returned - 1);
  }

  if (storeKey === null) {
    const options = (withDist ? 1 : 0) + (withCoord ? 1 : 0) + (withHash ? 1 : 0);
    const out = client.out;
    out.arrayHeader(returned);
    for (let i = 0; i < returned; i++) {
      const point = points[i] as GeoPoint;
      if (options > 0) out.arrayHeader(options + 1);
      out.bulk(point.member);
      if (withDist) replyDistance(client, point.distance / shape.conversion);
      if (withHash) out.integer(Math.trunc(point.score));
      if (withCoord) {
        out.arrayHeader(2);
        replyCoordinate(client, point.longitude);
        replyCoordinate(client, point.latitude);
      }
    }
    return;
  }
  const result = new ZSetValue();
  result.convertToSkiplist();
  for (let i = 0; i < returned; i++) {
    const point = points[i] as GeoPoint;
    result.set(point.member, storeDistances ? point.distance / shape.conversion : point.score);
  }
  storeResult(client, storeKey, result, flags & GEOSEARCH ? 'geosearchstore' : 'georadiusstore');
}

export const geoCommands: CommandDefinition[] = [
  { name: 'geoadd', handler: geoadd },
  { name: 'geodist', handler: geodist },
  { name: 'geohash', handler: geohash },
  { name: 'geopos', handler: geopos },
  { name: 'georadius', handler: (client, argv) => georadiusGeneric(client, argv, 1, RADIUS_COORDS) },
  {
    name: 'georadius_ro',
    handler: (client, argv) => georadiusGeneric(client, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE),
  },
  { name: 'georadiusbymember', handler: (client, argv) => georadiusGeneric(client, argv, 1, RADIUS_MEMBER) },
  {
    name: 'georadiusbymember_ro',
    handler: (client, argv) => georadiusGeneric(client, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE),
  },
  { name: 'geosearch', handler: (client, argv) => georadiusGeneric(client, argv, 1, GEOSEARCH) },
  {
    name: 'geosearchstore',
    handler: (client, argv) => georadiusGeneric(client, argv, 2, GEOSEARCH | GEOSEARCHSTORE),
  },
];
