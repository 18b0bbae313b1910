// A real OpenID Connect provider for 离校通's campus sign-in tests: oidc-provider (the certified
// Node implementation) on a loopback port, started by tests/sso/oidcserver.py.
//
//   node provider.mjs <settings.json>
//
// settings.json: {"port", "issuer", "users": {id: {claims}}, "clients": [client metadata]}.
// Sign-in is oidc-provider's own development login form (any password; the login must be one of
// `users`); consent is taken as given for the configured clients (first-party systems of the
// campus, as a university's platform registers them). Back-channel logout and RP-initiated
// logout are on.
//
// Two test-only routes play the attacker who controls the network between 离校通 and the provider
// (or a provider that misbehaves), so the tests can perform those attacks against the app:
//   POST /__test/tamper {"mode"}  → the next token response's id_token is altered (`altered`:
//        payload changed, signature kept; `forged`: signed by another key under the same kid;
//        `other_client`: genuinely signed for another client; `wrong_nonce`: genuinely signed
//        with another nonce)
//   POST /__test/sign {claims, typ} → a JWT genuinely signed by the provider's key (to build
//        malformed logout tokens the provider itself never sends)
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';
import {
  SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair,
} from 'jose';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' } };
}

const real = await signingKey('lxt-test-key');
const attacker = await signingKey('lxt-test-key');

const configuration = {
  clients: settings.clients,
  jwks: { keys: [real.jwk] },
  cookies: { keys: ['lxt-test-cookie-key-not-a-secret'] },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], campus: ['user_type'] },
  scopes: ['openid', 'profile', 'campus'],
  features: {
    devInteractions: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  // oidc-provider refuses outgoing requests to special-use addresses (SSRF protection); here
  // 离校通's back-channel logout URI is on loopback, as every part of the tests is.
  fetch(url, options) {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  async findAccount(ctx, id) {
    const user = settings.users[id];
    if (!user) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...user }; } };
  },
  // Consent is implied for the campus's own registered systems: a grant with what they ask.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile campus');
    grant.addOIDCClaims(['sub', 'name', 'preferred_username', 'user_type']);
    await grant.save();
    return grant;
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>error</title><pre id="error">${String(out.error).replace(/</g, '&lt;')}: ${String(out.error_description || '').replace(/</g, '&lt;')}</pre>`;
  },
};

const provider = new Provider(settings.issuer, configuration);
provider.proxy = false;

let tamper = null;

async function resign(token, change, key) {
  const header = decodeProtectedHeader(token);
  const claims = { ...decodeJwt(token), ...change };
  return new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid, typ: header.typ })
    .sign(key.privateKey);
}

async function tampered(token, mode) {
  switch (mode) {
    case 'altered': {
      const [h, p, s] = token.split('.');
      const claims = { ...decodeJwt(token), sub: 'T99998', name: '冒名' };
      return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
    }
    case 'forged': return resign(token, {}, attacker);
    case 'other_client': return resign(token, { aud: 'other-system', azp: 'other-system' }, real);
    case 'wrong_nonce': return resign(token, { nonce: 'not-the-nonce-of-this-sign-in' }, real);
    default: throw new Error(`unknown tamper mode ${mode}`);
  }
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && tamper && ctx.body && ctx.body.id_token) {
    const mode = tamper;
    tamper = null;
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token, mode) };
  }
});

async function body(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return JSON.parse(data || '{}');
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/__test/tamper') {
      tamper = (await body(req)).mode;
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/__test/sign') {
      const { claims, typ } = await body(req);
      const jwt = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: real.jwk.kid, typ: typ || 'logout+jwt' })
        .sign(real.privateKey);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jwt }));
      return;
    }
  } catch (err) {
    res.writeHead(500).end(String(err));
    return;
  }
  callback(req, res);
});

provider.on('backchannel.error', (ctx, err, client) => {
  console.error(`back-channel logout to ${client.clientId} failed: ${err.stack}`);
});
provider.on('backchannel.success', (ctx, client) => {
  console.log(`back-channel logout to ${client.clientId} delivered`);
});

server.listen(settings.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${settings.issuer}`);
});
