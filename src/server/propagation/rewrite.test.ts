import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Database } from '../keyspace/database.ts';
import { SetValue } from '../types/set.ts';
import { commandsToPropagate, encodeCommand } from './rewrite.ts';

function database(): Database {
  return new Database(0, { keyExpired: () => undefined, expiryHidesOnly: false });
}

test('commands are encoded as RESP multibulk, binary safe', () => {
  assert.equal(
    encodeCommand(['SET', 'k', 'a\r\nb']).latin1Slice(),
    '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n',
  );
  assert.equal(encodeCommand(['X', '\u00ff']).length, '*2\r\n$1\r\nX\r\n$1\r\n\u00ff\r\n'.length);
});

test('relative expires go out as absolute ones, or DEL when the key is gone', () => {
  const db = database();
  const entry = db.add('k', 'v', 0);
  db.setExpire('k', entry, 1_700_000_000_123);
  assert.deepEqual(commandsToPropagate(db, ['expire', 'k', '10'], []), [['PEXPIREAT', 'k', '1700000000123']]);
  assert.deepEqual(commandsToPropagate(db, ['SETEX', 'k', '10', 'v'], []), [
    ['SET', 'k', 'v', 'PXAT', '1700000000123'],
  ]);
  assert.deepEqual(commandsToPropagate(db, ['set', 'k', 'v', 'NX', 'EX', '10', 'GET'], []), [
    ['SET', 'k', 'v', 'NX', 'PXAT', '1700000000123'],
  ]);
  assert.deepEqual(commandsToPropagate(db, ['set', 'k', 'v', 'XX'], []), [['set', 'k', 'v', 'XX']]);
  assert.deepEqual(commandsToPropagate(db, ['getex', 'k', 'PERSIST'], []), [
    ['PEXPIREAT', 'k', '1700000000123'],
  ]);
  db.removeExpire('k', entry);
  assert.deepEqual(commandsToPropagate(db, ['getex', 'k', 'PERSIST'], []), [['PERSIST', 'k']]);
  assert.deepEqual(commandsToPropagate(db, ['pexpire', 'gone', '-1'], []), [['DEL', 'gone']]);
});

test('INCRBYFLOAT goes out as SET KEEPTTL; SPOP as the resulting value', () => {
  const db = database();
  db.add('f', '3.5', 0);
  assert.deepEqual(commandsToPropagate(db, ['incrbyfloat', 'f', '1'], []), [['SET', 'f', '3.5', 'KEEPTTL']]);
  db.add('s', SetValue.fromMembers(['a', 'b']), 0);
  const out = commandsToPropagate(db, ['spop', 's'], [[db, 's']]);
  assert.deepEqual(out[0], ['DEL', 's']);
  assert.equal(out[1]?.[0], 'RESTORE');
  assert.equal(out[1]?.[2], '0');
  assert.deepEqual(commandsToPropagate(db, ['spop', 'empty'], [[db, 'empty']]), [['DEL', 'empty']]);
});

test('SLOTSRESTORE goes out as RESTORE ... REPLACE ABSTTL per key', () => {
  const db = database();
  const entry = db.add('a', 'v', 0);
  db.setExpire('a', entry, 1_700_000_000_000);
  db.add('b', 'w', 0);
  assert.deepEqual(commandsToPropagate(db, ['SLOTSRESTORE', 'a', '5000', 'P1', 'b', '0', 'P2'], []), [
    ['RESTORE', 'a', '1700000000000', 'P1', 'REPLACE', 'ABSTTL'],
    ['RESTORE', 'b', '0', 'P2', 'REPLACE', 'ABSTTL'],
  ]);
});
