import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey, hashApiKey } from '../../../src/auth/hash-api-key.ts';

describe('hashApiKey', () => {
  it('writes the SHA-256 of the key as "sha256:" and 64 lowercase hex digits', () => {
    assert.equal(
      hashApiKey('abc'),
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('hashes the key as UTF-8, so a key typed on any system gives the same hash', () => {
    assert.equal(
      hashApiKey('clé'),
      'sha256:51cbcf30514d0802eb5c60a018f384ea3fb9b69307c554ee63ecb43177594de4',
    );
  });
});

describe('generateApiKey', () => {
  it('makes sk-sluice- keys carrying 256 random bits in base64url', () => {
    const key = generateApiKey();
    assert.match(key, /^sk-sluice-[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(key.slice('sk-sluice-'.length), 'base64url').length, 32);
  });

  it('never makes the same key twice in a row', () => {
    assert.notEqual(generateApiKey(), generateApiKey());
  });
});
