import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';
import { authWithKey, readChunks, sdkClient, sluiceApiKey } from './http-door-test-kit.ts';

/** Makes a self-signed certificate for 127.0.0.1 and its key, as PEM files in `directory`. */
function makeSelfSignedCertificate(directory: string): { certFile: string; keyFile: string } {
  const certFile = join(directory, 'cert.pem');
  const keyFile = join(directory, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=sluice-test',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

const hello = [{ role: 'user' as const, content: 'Hi' }];

describe('TLS: one port serving HTTPS and wss://', () => {
  let directory: string;
  let certFile: string;
  let keyFile: string;
  let certificate: string;
  let sluice: TestSluice;
  const systemCertificates = getCACertificates('default');
  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
    ({ certFile, keyFile } = makeSelfSignedCertificate(directory));
    certificate = readFileSync(certFile, 'utf8');
    sluice = await startTestSluice({
      server: { tls: { cert_file: certFile, key_file: keyFile } },
      auth: authWithKey(),
    });
    // fetch (under the SDK) takes no per-call CA: this process trusts the test certificate, and only it.
    setDefaultCACertificates([certificate]);
  });
  after(async () => {
    setDefaultCACertificates(systemCertificates);
    await sluice.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('reports https:// and wss:// addresses', () => {
    assert.match(sluice.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(sluice.wsUrl, /^wss:\/\/127\.0\.0\.1:\d+\/v1\/ws$/);
  });

  it('answers the OpenAI SDK over HTTPS, streamed and not', async () => {
    const client = sdkClient(`${sluice.url}/v1`, sluiceApiKey);
    const completion = await client.chat.completions.create({ model: 'demo', messages: hello });
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    const chunks = await readChunks(
      await client.chat.completions.create({ model: 'demo', messages: hello, stream: true }),
    );
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, completion.choices[0]?.message.content);
  });

  it('serves the WebSocket protocol over wss:// on the same port', async () => {
    const client = await connectTestClient(sluice.wsUrl, 'sluice.v1', {
      ca: certificate,
      headers: { authorization: `Bearer ${sluiceApiKey}` },
    });
    try {
      assert.equal((await client.next((event) => event.type === 'ready')).user, 'key:tester');
      client.send({ type: 'chat', id: 't1', model: 'demo', messages: hello });
      const events = await client.collect('t1');
      assert.equal(events.at(-1)?.type, 'done');
    } finally {
      await client.close();
    }
  });

  it('takes its https:// origin as its own, and the same host over http:// as another', async () => {
    const client = await connectTestClient(sluice.wsUrl, 'sluice.v1', {
      ca: certificate,
      origin: sluice.url,
      headers: { authorization: `Bearer ${sluiceApiKey}` },
    });
    assert.equal((await client.next()).type, 'ready');
    await client.close();
    const plainOrigin = await fetch(`${sluice.url}/v1/models`, {
      headers: { authorization: `Bearer ${sluiceApiKey}`, origin: sluice.url.replace('https:', 'http:') },
    });
    assert.equal(plainOrigin.status, 403);
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await assert.rejects(fetch(`${sluice.url.replace('https:', 'http:')}/healthz`));
  });

  it('stops start-up with an error naming the file it cannot read', async () => {
    const missing = join(directory, 'missing.pem');
    await assert.rejects(startTestSluice({ server: { tls: { cert_file: missing, key_file: keyFile } } }), {
      name: 'ConfigError',
      message: new RegExp(`^server\\.tls\\.cert_file: cannot read ${missing}`),
    });
  });

  it('stops start-up when the key is not a usable PEM key', async () => {
    const garbage = join(directory, 'garbage.pem');
    writeFileSync(garbage, 'not a key');
    await assert.rejects(startTestSluice({ server: { tls: { cert_file: certFile, key_file: garbage } } }), {
      name: 'ConfigError',
      message: /^server\.tls: the certificate and key cannot be used/,
    });
  });
});
