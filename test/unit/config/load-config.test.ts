import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { demoProvider } from '../../../providers/demo/index.ts';
import { providerKinds } from '../../../providers/index.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { ConfigError } from '../../../src/errors/config-error.ts';
import { defineProviderKind } from '../../../src/spec/provider-kind.ts';

function writeConfig(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-config-')), 'sluice.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('starts on 127.0.0.1:8787 with only the demo model when there is no file and no key', () => {
    const config = loadConfig({ kinds: providerKinds, env: {} });
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8787);
    assert.deepEqual(Object.keys(config.models), ['demo']);
    assert.equal(config.providers.demo?.type, 'demo');
  });

  it('configures every provider whose key is in the environment', () => {
    const config = loadConfig({
      kinds: providerKinds,
      env: { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' },
    });
    assert.deepEqual(Object.keys(config.providers).sort(), ['anthropic', 'demo', 'openai']);
    assert.deepEqual(
      config.models.fast?.targets.map(({ provider, model }) => ({ provider, model })),
      [{ provider: 'openai', model: 'gpt-4o-mini' }],
    );
    assert.deepEqual(
      config.models.smart?.targets.map(({ provider, model }) => ({ provider, model })),
      [{ provider: 'anthropic', model: 'claude-sonnet-4-6' }],
    );
  });

  it('lets PORT and HOST override the listen address', () => {
    const path = writeConfig('server: { host: 127.0.0.1, port: 9000 }\n');
    const config = loadConfig({ kinds: providerKinds, path, env: { PORT: '9100', HOST: '0.0.0.0' } });
    assert.equal(config.server.port, 9100);
    assert.equal(config.server.host, '0.0.0.0');
  });

  it('fills ${VAR} and ${VAR:-default} from the environment', () => {
    const path = writeConfig(
      [
        'providers:',
        '  feed: { type: demo, token_delay_ms: 5 }',
        'models:',
        '  chat: { target: { provider: feed, model: "${MODEL_NAME:-fallback-model}" } }',
        '  other: { target: { provider: feed, model: "prefix-${SUFFIX}" } }',
      ].join('\n'),
    );
    const config = loadConfig({ kinds: providerKinds, path, env: { SUFFIX: 'x1' } });
    assert.equal(config.models.chat?.targets[0]?.model, 'fallback-model');
    assert.equal(config.models.other?.targets[0]?.model, 'prefix-x1');
    assert.ok(config.models.demo, 'the demo model is always available');
  });

  it('names the bad path and why when a file is invalid', () => {
    const badPort = writeConfig('server: { port: "not a number", max_frame_bytes: 1 }\n');
    assert.throws(
      () => loadConfig({ kinds: providerKinds, path: badPort, env: {} }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /server\.port: .*expected number/);
        assert.match(error.message, /server\.max_frame_bytes: /);
        return true;
      },
    );
    const unknownProvider = writeConfig('models:\n  chat: { target: { provider: nowhere, model: m } }\n');
    assert.throws(
      () => loadConfig({ kinds: providerKinds, path: unknownProvider, env: {} }),
      /models\.chat\.target\.provider: unknown provider "nowhere"/,
    );
  });

  it('reads only variables the environment has, never a property every object has', () => {
    const path = writeConfig(
      'models:\n  chat: { target: { provider: demo, model: "m-${constructor}-${toString:-none}" } }\n',
    );
    const config = loadConfig({ kinds: providerKinds, path, env: {} });
    assert.equal(config.models.chat?.targets[0]?.model, 'm--none');
  });

  it('reports a key that references an unset variable as required', () => {
    const path = writeConfig('models:\n  chat: { target: { provider: demo, model: "${UNSET_MODEL}" } }\n');
    assert.throws(
      () => loadConfig({ kinds: providerKinds, path, env: {} }),
      /models\.chat\.target\.model: required/,
    );
  });

  it('rejects unknown keys, provider types and broken YAML with a message', () => {
    assert.throws(
      () => loadConfig({ kinds: providerKinds, path: writeConfig('servr: {}\n'), env: {} }),
      /servr/,
    );
    assert.throws(
      () =>
        loadConfig({
          kinds: providerKinds,
          path: writeConfig('providers:\n  x: { type: nonsense }\n'),
          env: {},
        }),
      /providers\.x\.type/,
    );
    assert.throws(
      () => loadConfig({ kinds: providerKinds, path: writeConfig('server: [unclosed\n'), env: {} }),
      /invalid YAML/,
    );
    assert.throws(
      () => loadConfig({ kinds: providerKinds, path: '/nonexistent/sluice.yaml', env: {} }),
      /cannot read config/,
    );
  });

  it('takes `store: redis` as the Redis backend, its address from REDIS_URL unless the file names one', () => {
    const short = loadConfig({
      kinds: providerKinds,
      path: writeConfig('store: redis\n'),
      env: { REDIS_URL: 'redis://10.0.0.5:6379' },
    });
    assert.equal(short.store.backend, 'redis');
    assert.equal(short.store.redis.url, 'redis://10.0.0.5:6379');
    assert.equal(short.store.redis.prefix, 'sluice:');
    const named = loadConfig({
      kinds: providerKinds,
      path: writeConfig(
        'store:\n  backend: redis\n  redis: { url: "redis://cache:6379/2", prefix: "gw:" }\n',
      ),
      env: { REDIS_URL: 'redis://10.0.0.5:6379' },
    });
    assert.equal(named.store.redis.url, 'redis://cache:6379/2');
    assert.equal(named.store.redis.prefix, 'gw:');
    assert.equal(
      loadConfig({ kinds: providerKinds, env: { REDIS_URL: 'redis://10.0.0.5:6379' } }).store.backend,
      'embedded',
    );
  });

  it('refuses the Redis backend with no address anywhere', () => {
    assert.throws(
      () => loadConfig({ kinds: providerKinds, path: writeConfig('store: redis\n'), env: {} }),
      /store\.redis\.url: required with `backend: redis` \(or set REDIS_URL\)/,
    );
  });

  it('makes streams resumable by default, with a grace period and a retention time', () => {
    const { resume } = loadConfig({ kinds: providerKinds, env: {} });
    assert.equal(resume.enabled, true);
    assert.ok(resume.grace_ms > 0);
    assert.ok(resume.retention_ms > 0);
  });

  describe('with the provider kinds it is given', () => {
    const echoKind = defineProviderKind({
      type: 'echo',
      configSchema: z.strictObject({ type: z.literal('echo'), token: z.string() }),
      create: () => ({ stream: () => Promise.reject(new Error('not called')) }),
      fromEnvironment: (env) =>
        env.ECHO_TOKEN
          ? {
              name: 'echoes',
              config: { type: 'echo', token: env.ECHO_TOKEN },
              model: { name: 'loud', upstreamModel: 'echo-1' },
            }
          : undefined,
    });
    const kinds = [demoProvider, echoKind];

    it("adds each kind's provider and model from the environment when there is no file", () => {
      const config = loadConfig({ kinds, env: { ECHO_TOKEN: 't', OPENAI_API_KEY: 'sk-test' } });
      assert.deepEqual(Object.keys(config.providers).sort(), ['demo', 'echoes']);
      assert.deepEqual(config.providers.echoes, { type: 'echo', token: 't' });
      assert.deepEqual(
        config.models.loud?.targets.map(({ provider, model }) => ({ provider, model })),
        [{ provider: 'echoes', model: 'echo-1' }],
      );
    });

    it('accepts blocks of those kinds only', () => {
      const echoes = writeConfig('providers:\n  e: { type: echo, token: t }\n');
      assert.equal(loadConfig({ kinds, path: echoes, env: {} }).providers.e?.type, 'echo');
      assert.throws(() => loadConfig({ kinds: providerKinds, path: echoes, env: {} }), /providers\.e\.type/);
      assert.throws(
        () =>
          loadConfig({
            kinds,
            path: writeConfig('providers:\n  o: { type: openai, api_key: k }\n'),
            env: {},
          }),
        /providers\.o\.type/,
      );
      assert.throws(
        () => loadConfig({ kinds, path: writeConfig('providers:\n  e: { type: echo }\n'), env: {} }),
        /providers\.e\.token: required/,
      );
    });
  });
});
