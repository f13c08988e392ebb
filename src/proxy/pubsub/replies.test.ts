import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  confirmation,
  emptyConfirmation,
  FRAME_OTHER,
  FRAME_PONG,
  frameKind,
  KIND_CHANNEL,
  KIND_PATTERN,
  KIND_SHARD,
  pushSubject,
  subscribedPong,
  subscribeModeError,
} from './replies.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('pub/sub replies', () => {
  it('builds redis-server 7 confirmations, PING and refusal texts', () => {
    assert.equal(confirmation('subscribe', 'a', 1), '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n');
    assert.equal(emptyConfirmation('sunsubscribe', 0), '*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n');
    assert.equal(subscribedPong('').latin1Slice(), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    assert.equal(subscribedPong('hi').latin1Slice(), '*2\r\n$4\r\npong\r\n$2\r\nhi\r\n');
    assert.equal(
      subscribeModeError('GET'),
      "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    );
  });

  it('tells pushes from confirmations and PING replies', () => {
    const message = bytes('*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n');
    const pmessage = bytes('*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$1\r\nx\r\n');
    const smessage = bytes('*3\r\n$8\r\nsmessage\r\n$3\r\n{s}\r\n$0\r\n\r\n');
    assert.equal(frameKind(message), KIND_CHANNEL);
    assert.equal(frameKind(pmessage), KIND_PATTERN);
    assert.equal(frameKind(smessage), KIND_SHARD);
    assert.equal(frameKind(bytes('*2\r\n$4\r\npong\r\n$0\r\n\r\n')), FRAME_PONG);
    assert.equal(frameKind(bytes('+PONG\r\n')), FRAME_PONG);
    assert.equal(frameKind(bytes('*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n')), FRAME_OTHER);
    assert.equal(frameKind(bytes('-ERR x\r\n')), FRAME_OTHER);
    assert.equal(frameKind(bytes('+OK\r\n')), FRAME_OTHER);
    // A frame no longer than the word is not a push.
    assert.equal(frameKind(bytes('*3\r\n$7\r\nmessage\r\n')), FRAME_OTHER);
    assert.equal(pushSubject(message, KIND_CHANNEL), 'ch');
    assert.equal(pushSubject(pmessage, KIND_PATTERN), 'c*');
    assert.equal(pushSubject(smessage, KIND_SHARD), '{s}');
  });

  it('reads binary channel names and refuses malformed frames', () => {
    const name = '\u0000\u00ff\r\n';
    const frame = bytes(`*3\r\n$7\r\nmessage\r\n$4\r\n${name}\r\n$1\r\nx\r\n`);
    assert.equal(pushSubject(frame, KIND_CHANNEL), name);
    assert.equal(pushSubject(bytes('*3\r\n$7\r\nmessage\r\n:1\r\n'), KIND_CHANNEL), undefined);
    assert.equal(pushSubject(bytes('*3\r\n$7\r\nmessage\r\n$99\r\nab\r\n'), KIND_CHANNEL), undefined);
    assert.equal(pushSubject(bytes('*3\r\n$7\r\nmessage\r\n$x\r\nab\r\n'), KIND_CHANNEL), undefined);
  });
});
