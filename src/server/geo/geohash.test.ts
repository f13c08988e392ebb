import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeScore,
  estimateStepsByRadius,
  GEO_STEP_MAX,
  geoDistance,
  geohashScore,
  isZeroHash,
  scoresOfCell,
  searchAreas,
  standardGeohash,
} from './geohash.ts';

// Reference values from redis-server 7 (test/integration/geo.test.ts checks them on both servers).
const PALERMO = 3479099956230698;
const CATANIA = 3479447370796909;

describe('geohash', () => {
  it('encodes a point as its 52-bit score and decodes the cell centre', () => {
    assert.equal(geohashScore(13.361389, 38.115556), PALERMO);
    assert.equal(geohashScore(15.087269, 37.502669), CATANIA);
    assert.equal(geohashScore(181, 0), undefined);
    assert.equal(geohashScore(0, 85.06), undefined);
    assert.deepEqual(decodeScore(PALERMO), [13.361389338970184, 38.1155563954963]);
    assert.equal(decodeScore(PALERMO)[0].toFixed(17), '13.36138933897018433');
  });

  it('gives the standard 11-character geohash', () => {
    assert.equal(standardGeohash(PALERMO), 'sqc8b49rny0');
    assert.equal(standardGeohash(CATANIA), 'sqdtr74hyu0');
  });

  it('measures great-circle distances in meters', () => {
    const [lon1, lat1] = decodeScore(PALERMO);
    const [lon2, lat2] = decodeScore(CATANIA);
    assert.equal(geoDistance(lon1, lat1, lon2, lat2).toFixed(4), '166274.1516');
    // Same longitude: the meridian formula.
    assert.equal(geoDistance(10, 0, 10, 1).toFixed(4), '111226.3000');
    assert.equal(geoDistance(10, 20, 10, 20), 0);
  });

  it('estimates the search step from the radius and the latitude', () => {
    assert.equal(estimateStepsByRadius(0, 0), 26);
    assert.equal(estimateStepsByRadius(200_000, 37), 6);
    assert.equal(estimateStepsByRadius(200_000, 70), 5);
    assert.equal(estimateStepsByRadius(200_000, -85), 4);
    assert.equal(estimateStepsByRadius(1, 0), 24);
    assert.equal(estimateStepsByRadius(30_000_000, 0), 1);
  });

  it('scans the centre cell and the neighbours the shape reaches', () => {
    const shape = {
      longitude: 15,
      latitude: 37,
      conversion: 1000,
      byBox: false,
      radius: 200,
      width: 0,
      height: 0,
    };
    const cells = searchAreas(shape);
    assert.equal(cells.length, 9);
    const centre = cells[0] as (typeof cells)[number];
    assert.ok(!isZeroHash(centre));
    const [min, max] = scoresOfCell(centre);
    const near = geohashScore(15.2, 36.9) as number;
    assert.ok(min <= near && near < max, 'a point near the centre is in the centre cell');
    assert.equal((max - min) % 2 ** (52 - centre.step * 2), 0);
    assert.ok(centre.step < GEO_STEP_MAX);
    // A 1 m radius scans fine cells; a 10,000 km one the coarsest.
    assert.ok((searchAreas({ ...shape, radius: 0.001 })[0] as (typeof cells)[number]).step >= 22);
    assert.equal((searchAreas({ ...shape, radius: 10_000 })[0] as (typeof cells)[number]).step, 1);
  });
});
