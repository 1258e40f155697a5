// A throwaway OpenID provider for the console tests: panva's oidc-provider (OpenID Certified), with
// the people of deploy/org/directory.json as its users and their roles as "role" claims.
//
//   node provider.mjs <settings.json>
//
// settings.json (written by the test, see OidcTestProvider.cs):
//   { "port": 41234, "directory": "/…/deploy/org/directory.json", "registrationToken": "…",
//     "resources": [ { "indicator": "urn:…", "audience": "accountability", "scope": "accountability" } ] }
//
// Clients register themselves (dynamic client registration, with the initial access token above).
// Access tokens for a configured resource indicator are JWTs (RS256) whose audience is that resource's
// "audience" and which carry the person's roles. The sign-in page is oidc-provider's development
// login form: any password is accepted for an active person of the directory.
// Prints "READY <issuer>" once it listens, and one "EVENT <name> <detail>" line per notable event.
// Clients may push their authorization requests first (PAR, RFC 9126), as ASP.NET Core's handler does when offered.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${settings.port}`;
const people = new Map(JSON.parse(readFileSync(settings.directory, 'utf8')).people
  .filter((person) => person.active)
  .map((person) => [person.id, person]));
const resources = new Map(settings.resources.map((resource) => [resource.indicator, resource]));

// A key of this run only: nothing signed here is trusted anywhere else.
const signingKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: `test-${randomBytes(6).toString('hex')}`, use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name'], roles: ['role'] },
  async findAccount(_ctx, id) {
    const person = people.get(id);
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: person.name, role: person.roles };
      },
    };
  },
  // The department's own applications: no consent screen, as a staff identity provider does.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile roles');
    grant.addOIDCClaims(['sub', 'name', 'role']);
    for (const [indicator, resource] of resources) grant.addResourceScope(indicator, resource.scope);
    await grant.save();
    return grant;
  },
  async extraTokenClaims(_ctx, token) {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const person = people.get(token.accountId);
    return person ? { role: person.roles } : undefined;
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true, initialAccessToken: settings.registrationToken },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      async getResourceServerInfo(_ctx, indicator) {
        const resource = resources.get(indicator);
        if (!resource) throw new errors.InvalidTarget();
        return {
          scope: resource.scope,
          audience: resource.audience,
          accessTokenTTL: 30 * 60,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

for (const name of ['end_session.success', 'grant.success']) {
  provider.on(name, (ctx) => console.log(`EVENT ${name} ${ctx.oidc.client?.clientId ?? ''}`));
}
// What the provider was asked for, as it understood it (pushed or not): the tests read this line.
provider.on('authorization.success', (ctx) => {
  const { params } = ctx.oidc;
  console.log(`EVENT authorization.success ${ctx.oidc.client?.clientId ?? ''} ${JSON.stringify({
    response_type: params.response_type,
    code_challenge_method: params.code_challenge_method,
    code_challenge: Boolean(params.code_challenge),
    nonce: Boolean(params.nonce),
    state: Boolean(params.state),
    resource: params.resource,
    pushed: Boolean(ctx.oidc.entities.PushedAuthorizationRequest) || String(params.request_uri ?? '').startsWith('urn:ietf:params:oauth:request_uri:'),
  })}`);
});
for (const name of ['server_error', 'authorization.error', 'grant.error', 'end_session.error', 'registration_create.error']) {
  provider.on(name, (_ctx, error) => console.log(`EVENT ${name} ${error?.name ?? ''}: ${error?.error_description ?? error?.message ?? ''}`));
}

const server = provider.listen(settings.port, '127.0.0.1', () => console.log(`READY ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
