import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxConnectionsFor, parseOpenFileLimit } from '../../../src/server/default-max-connections.ts';

const limits = (soft: string, hard: string) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             63432                63432                processes ',
    `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

describe('the default server.max_connections', () => {
  it('reads the soft open-file limit from /proc/self/limits', () => {
    assert.equal(parseOpenFileLimit(limits('1024', '524288')), 1024);
  });

  it('reads no limit from an unlimited or missing line', () => {
    assert.equal(parseOpenFileLimit(limits('unlimited', 'unlimited')), undefined);
    assert.equal(parseOpenFileLimit('Max processes 10 10 processes'), undefined);
  });

  it('leaves 64 files aside and half of the rest for the upstream connection of each client connection', () => {
    assert.equal(maxConnectionsFor(128), 32);
    assert.equal(maxConnectionsFor(1024), 480);
    assert.equal(maxConnectionsFor(65), 1);
    assert.equal(maxConnectionsFor(10), 1, 'never less than one');
  });

  it('assumes 4096 open files where the limit cannot be read', () => {
    assert.equal(maxConnectionsFor(undefined), 2016);
  });
});
