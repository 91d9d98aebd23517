import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { type RecordedRequest, startFakeHttpServer } from './fake-http-server.ts';

/** The path identity providers publish their keys at. */
export const jwksPath = '/.well-known/jwks.json';

/** Signs JWTs with one private key, and shows its public half as a JWK. */
export interface TokenSigner {
  kid: string;
  algorithm: string;
  publicJwk: JWK;
  /** Signs `claims`, with `iat` now and `exp` in five minutes unless the claims set them. */
  sign(claims: JWTPayload): Promise<string>;
}

export interface TokenSignerOptions {
  algorithm?: 'RS256' | 'ES256' | 'EdDSA';
  kid?: string;
}

/** A fresh key pair and a signer for it; also how tests forge tokens with a key the server does not publish. */
export async function createTokenSigner({
  algorithm = 'ES256',
  kid = 'test-key-1',
}: TokenSignerOptions = {}): Promise<TokenSigner> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' };
  return {
    kid,
    algorithm,
    publicJwk,
    sign(claims) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: algorithm, kid })
        .sign(privateKey);
    },
  };
}

/** A real loopback identity provider that publishes one signing key as a JWKS. */
export interface FakeJwksServer {
  /** The JWKS address, for `auth.jwt.jwks_url`. */
  jwksUrl: string;
  signer: TokenSigner;
  /** Signs with the published key. */
  sign(claims: JWTPayload): Promise<string>;
  requests: RecordedRequest[];
  /** Makes every later JWKS request answer `status` instead of the keys. */
  failWith(status: number): void;
  close(): Promise<void>;
}

/** Starts a fake JWKS endpoint on a loopback port with a freshly generated key. */
export async function startFakeJwksServer(options: TokenSignerOptions = {}): Promise<FakeJwksServer> {
  const signer = await createTokenSigner(options);
  let failureStatus: number | undefined;
  const server = await startFakeHttpServer((request, response) => {
    if (request.url !== jwksPath) {
      response.writeHead(404).end();
      return;
    }
    if (failureStatus !== undefined) {
      response.writeHead(failureStatus, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [signer.publicJwk] }));
  });
  return {
    jwksUrl: `${server.url}${jwksPath}`,
    signer,
    sign: (claims) => signer.sign(claims),
    requests: server.requests,
    failWith(status) {
      failureStatus = status;
    },
    close: () => server.close(),
  };
}
