// Redis's geohash (geohash.c and geohash_helper.c of Redis 7.0), computed the same way so that GEO
// scores, positions, distances and search results match redis-server's bit for bit: a point is a
// 52-bit interleaving of its latitude (even bits) and longitude (odd bits) cells, stored as a sorted
// set score. Bit operations use BigInt: a few per command, never per stored member.

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

export interface GeoRange {
  min: number;
  max: number;
}

export interface GeoHashBits {
  bits: bigint;
  step: number;
}

export interface GeoArea {
  longitude: GeoRange;
  latitude: GeoRange;
}

/** The coordinate ranges of Redis's (Web Mercator) geohash. */
export const LONG_RANGE: GeoRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
export const LAT_RANGE: GeoRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

const MASK_32 = 0xffffffffn;

/** The 32 low bits of x spread to the even bits of a 64-bit word. */
function spread(value: bigint): bigint {
  let x = value & MASK_32;
  x = (x | (x << 16n)) & 0x0000ffff0000ffffn;
  x = (x | (x << 8n)) & 0x00ff00ff00ff00ffn;
  x = (x | (x << 4n)) & 0x0f0f0f0f0f0f0f0fn;
  x = (x | (x << 2n)) & 0x3333333333333333n;
  return (x | (x << 1n)) & 0x5555555555555555n;
}

/** The even bits of a 64-bit word gathered into 32 bits (spread's inverse). */
function squash(value: bigint): bigint {
  let x = value & 0x5555555555555555n;
  x = (x | (x >> 1n)) & 0x3333333333333333n;
  x = (x | (x >> 2n)) & 0x0f0f0f0f0f0f0f0fn;
  x = (x | (x >> 4n)) & 0x00ff00ff00ff00ffn;
  x = (x | (x >> 8n)) & 0x0000ffff0000ffffn;
  return (x | (x >> 16n)) & MASK_32;
}

/** C's double to uint32_t conversion for the cell offsets (truncation; they are never negative). */
function cellOf(offset: number): bigint {
  return BigInt(Math.trunc(offset)) & MASK_32;
}

/**
 * geohashEncode: the cell of (longitude, latitude) at `step` bits per coordinate within the ranges,
 * or undefined outside Redis's limits or the ranges.
 */
export function geohashEncode(
  longRange: GeoRange,
  latRange: GeoRange,
  longitude: number,
  latitude: number,
  step: number,
): GeoHashBits | undefined {
  if (step > 32 || step === 0) return undefined;
  if (latRange.max - latRange.min === 0 || longRange.max - longRange.min === 0) return undefined;
  if (
    longitude > GEO_LONG_MAX ||
    longitude < GEO_LONG_MIN ||
    latitude > GEO_LAT_MAX ||
    latitude < GEO_LAT_MIN
  )
    return undefined;
  if (
    latitude < latRange.min ||
    latitude > latRange.max ||
    longitude < longRange.min ||
    longitude > longRange.max
  )
    return undefined;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  return { bits: spread(cellOf(latOffset)) | (spread(cellOf(longOffset)) << 1n), step };
}

/** geohashEncodeWGS84 at full precision: the 52-bit score of a point. */
export function geohashScore(longitude: number, latitude: number): number | undefined {
  const hash = geohashEncode(LONG_RANGE, LAT_RANGE, longitude, latitude, GEO_STEP_MAX);
  return hash === undefined ? undefined : Number(hash.bits);
}

/** geohashDecode: the cell's area, or undefined for the zero hash. */
export function geohashDecode(
  longRange: GeoRange,
  latRange: GeoRange,
  hash: GeoHashBits,
): GeoArea | undefined {
  if (hash.bits === 0n && hash.step === 0) return undefined;
  const step = hash.step;
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  const latCell = Number(squash(hash.bits));
  const longCell = Number(squash(hash.bits >> 1n));
  const cells = 2 ** step;
  return {
    latitude: {
      min: latRange.min + (latCell / cells) * latScale,
      max: latRange.min + ((latCell + 1) / cells) * latScale,
    },
    longitude: {
      min: longRange.min + (longCell / cells) * longScale,
      max: longRange.min + ((longCell + 1) / cells) * longScale,
    },
  };
}

const TWO_63 = 2 ** 63;
const INDEFINITE = 1n << 63n;

/**
 * C's (uint64_t) conversion of a double as x86-64 code does it: what GEO commands decode when a
 * sorted set holds scores that are not geohashes (negative, infinite). Out-of-range values give the
 * processor's "integer indefinite" 2^63 (0 above 2^64).
 */
function toUint64(value: number): bigint {
  if (Number.isNaN(value)) return INDEFINITE;
  if (value < TWO_63) {
    if (value <= -TWO_63) return INDEFINITE;
    return BigInt.asUintN(64, BigInt(Math.trunc(value)));
  }
  const high = value - TWO_63;
  if (high >= TWO_63) return 0n;
  return BigInt(Math.trunc(high)) ^ INDEFINITE;
}

/** The centre of a score's cell as [longitude, latitude] (decodeGeohash), clamped to the limits. */
export function decodeScore(score: number): [number, number] {
  const bits = toUint64(score);
  const area = geohashDecode(LONG_RANGE, LAT_RANGE, { bits, step: GEO_STEP_MAX }) as GeoArea;
  let longitude = (area.longitude.min + area.longitude.max) / 2;
  if (longitude > GEO_LONG_MAX) longitude = GEO_LONG_MAX;
  if (longitude < GEO_LONG_MIN) longitude = GEO_LONG_MIN;
  let latitude = (area.latitude.min + area.latitude.max) / 2;
  if (latitude > GEO_LAT_MAX) latitude = GEO_LAT_MAX;
  if (latitude < GEO_LAT_MIN) latitude = GEO_LAT_MIN;
  return [longitude, latitude];
}

const GEOHASH_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's 11-character standard geohash of a score (re-encoded with latitudes -90..90). */
export function standardGeohash(score: number): string {
  const [longitude, latitude] = decodeScore(score);
  const hash = geohashEncode(
    { min: -180, max: 180 },
    { min: -90, max: 90 },
    longitude,
    latitude,
    GEO_STEP_MAX,
  );
  const bits = hash?.bits ?? 0n;
  let text = '';
  for (let i = 0; i < 11; i++) {
    // 52 bits make 10 characters and 2 bits: the 11th is always '0', as in Redis.
    const index = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    text += GEOHASH_ALPHABET[index];
  }
  return text;
}

const ODD_BITS = 0xaaaaaaaaaaaaaaaan;
const EVEN_BITS = 0x5555555555555555n;

/**
 * geohash_move_x/geohash_move_y: the neighbouring cell along one axis (longitude: the odd bits,
 * latitude: the even bits), by adding or subtracting one across the interleaved bits.
 */
function move(hash: GeoHashBits, direction: number, axis: bigint, other: bigint): GeoHashBits {
  if (direction === 0) return hash;
  const shift = BigInt(64 - hash.step * 2);
  let moving = hash.bits & axis;
  const fixed = hash.bits & other;
  const carry = other >> shift;
  if (direction > 0) moving = moving + (carry + 1n);
  else {
    moving = moving | carry;
    moving = moving - (carry + 1n);
  }
  moving &= axis >> shift;
  return { bits: moving | fixed, step: hash.step };
}

function moveX(hash: GeoHashBits, direction: number): GeoHashBits {
  return move(hash, direction, ODD_BITS, EVEN_BITS);
}

function moveY(hash: GeoHashBits, direction: number): GeoHashBits {
  return move(hash, direction, EVEN_BITS, ODD_BITS);
}

/** A neighbour that was ruled out of the search (GZERO). */
const ZERO: GeoHashBits = { bits: 0n, step: 0 };

export function isZeroHash(hash: GeoHashBits): boolean {
  return hash.bits === 0n && hash.step === 0;
}

/** A search: its centre, its shape (a radius or a box, in the unit) and the unit in meters. */
export interface GeoShape {
  longitude: number;
  latitude: number;
  /** Meters per unit (m 1, km 1000, ft 0.3048, mi 1609.34). */
  conversion: number;
  byBox: boolean;
  radius: number;
  width: number;
  height: number;
}

function degreesOf(radians: number): number {
  return radians / D_R;
}

/** geohashBoundingBox: [min longitude, min latitude, max longitude, max latitude]. */
function boundingBox(shape: GeoShape): [number, number, number, number] {
  const { longitude, latitude } = shape;
  const height = shape.conversion * (shape.byBox ? shape.height / 2 : shape.radius);
  const width = shape.conversion * (shape.byBox ? shape.width / 2 : shape.radius);
  const latDelta = degreesOf(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = degreesOf(width / EARTH_RADIUS_IN_METERS / Math.cos((latitude + latDelta) * D_R));
  const longDeltaBottom = degreesOf(width / EARTH_RADIUS_IN_METERS / Math.cos((latitude - latDelta) * D_R));
  // The northern and southern hemispheres are mirrored: the widest edge is on the equator side.
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/** geohashEstimateStepsByRadius: the coarsest step whose cells still bound the radius. */
export function estimateStepsByRadius(rangeMeters: number, latitude: number): number {
  if (rangeMeters === 0) return 26;
  let range = rangeMeters;
  let step = 1;
  while (range < MERCATOR_MAX) {
    range *= 2;
    step++;
  }
  step -= 2;
  if (latitude > 66 || latitude < -66) {
    step--;
    if (latitude > 80 || latitude < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/**
 * geohashCalculateAreasByShapeWGS84: the nine cells to scan, in Redis's order (centre, north,
 * south, east, west, north-east, north-west, south-east, south-west), with the ones the shape cannot
 * reach zeroed.
 */
export function searchAreas(shape: GeoShape): GeoHashBits[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const { longitude, latitude } = shape;
  let radiusMeters = shape.byBox
    ? Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))
    : shape.radius;
  radiusMeters *= shape.conversion;
  let steps = estimateStepsByRadius(radiusMeters, latitude);
  let hash = geohashEncode(LONG_RANGE, LAT_RANGE, longitude, latitude, steps) as GeoHashBits;
  let neighbours = neighboursOf(hash);
  let area = geohashDecode(LONG_RANGE, LAT_RANGE, hash) as GeoArea;
  // Near a cell's edge the estimated step can be too fine for the neighbours to cover the shape.
  const north = geohashDecode(LONG_RANGE, LAT_RANGE, neighbours.north);
  const south = geohashDecode(LONG_RANGE, LAT_RANGE, neighbours.south);
  const east = geohashDecode(LONG_RANGE, LAT_RANGE, neighbours.east);
  const west = geohashDecode(LONG_RANGE, LAT_RANGE, neighbours.west);
  const decreaseStep =
    (north !== undefined && north.latitude.max < maxLat) ||
    (south !== undefined && south.latitude.min > minLat) ||
    (east !== undefined && east.longitude.max < maxLon) ||
    (west !== undefined && west.longitude.min > minLon);
  if (steps > 1 && decreaseStep) {
    steps--;
    hash = geohashEncode(LONG_RANGE, LAT_RANGE, longitude, latitude, steps) as GeoHashBits;
    neighbours = neighboursOf(hash);
    area = geohashDecode(LONG_RANGE, LAT_RANGE, hash) as GeoArea;
  }
  if (steps >= 2) {
    if (area.latitude.min < minLat) {
      neighbours.south = ZERO;
      neighbours.southWest = ZERO;
      neighbours.southEast = ZERO;
    }
    if (area.latitude.max > maxLat) {
      neighbours.north = ZERO;
      neighbours.northEast = ZERO;
      neighbours.northWest = ZERO;
    }
    if (area.longitude.min < minLon) {
      neighbours.west = ZERO;
      neighbours.southWest = ZERO;
      neighbours.northWest = ZERO;
    }
    if (area.longitude.max > maxLon) {
      neighbours.east = ZERO;
      neighbours.southEast = ZERO;
      neighbours.northEast = ZERO;
    }
  }
  return [
    hash,
    neighbours.north,
    neighbours.south,
    neighbours.east,
    neighbours.west,
    neighbours.northEast,
    neighbours.northWest,
    neighbours.southEast,
    neighbours.southWest,
  ];
}

interface Neighbours {
  north: GeoHashBits;
  south: GeoHashBits;
  east: GeoHashBits;
  west: GeoHashBits;
  northEast: GeoHashBits;
  northWest: GeoHashBits;
  southEast: GeoHashBits;
  southWest: GeoHashBits;
}

function neighboursOf(hash: GeoHashBits): Neighbours {
  return {
    east: moveY(moveX(hash, 1), 0),
    west: moveY(moveX(hash, -1), 0),
    south: moveY(moveX(hash, 0), -1),
    north: moveY(moveX(hash, 0), 1),
    northWest: moveY(moveX(hash, -1), 1),
    southWest: moveY(moveX(hash, -1), -1),
    northEast: moveY(moveX(hash, 1), 1),
    southEast: moveY(moveX(hash, 1), -1),
  };
}

/** [min, max) of the scores inside a cell (scoresOfGeoHashBox). */
export function scoresOfCell(hash: GeoHashBits): [number, number] {
  const shift = BigInt(52 - hash.step * 2);
  return [Number(hash.bits << shift), Number((hash.bits + 1n) << shift)];
}

/** The distance in meters along a meridian between two latitudes. */
function latitudeDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(lat2 * D_R - lat1 * D_R);
}

/** geohashGetDistance: the haversine great-circle distance in meters. */
export function geoDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = lon1 * D_R;
  const lon2r = lon2 * D_R;
  const v = Math.sin((lon2r - lon1r) / 2);
  // Same longitude: no need for the expensive formula.
  if (v === 0.0) return latitudeDistance(lat1, lat2);
  const lat1r = lat1 * D_R;
  const lat2r = lat2 * D_R;
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/**
 * geoWithinShape: the distance in meters from the shape's centre to a point when the point is
 * inside the shape, or -1.
 */
export function distanceWithin(shape: GeoShape, longitude: number, latitude: number): number {
  if (!shape.byBox) {
    const distance = geoDistance(shape.longitude, shape.latitude, longitude, latitude);
    return distance > shape.radius * shape.conversion ? -1 : distance;
  }
  const widthMeters = shape.width * shape.conversion;
  const heightMeters = shape.height * shape.conversion;
  // The latitude check is the cheaper one: first.
  if (latitudeDistance(latitude, shape.latitude) > heightMeters / 2) return -1;
  if (geoDistance(longitude, latitude, shape.longitude, latitude) > widthMeters / 2) return -1;
  return geoDistance(shape.longitude, shape.latitude, longitude, latitude);
}
