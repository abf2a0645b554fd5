// The single-page app of tests/interop/test_spa_in_chromium.py.
//
// Every OAuth message is built and checked by oauth4webapi (panva), a
// third-party library; this file only calls it in order and writes down, for
// each step, whether it worked and the library's own error if not. Steps that
// need an earlier step's result are marked skipped when that step failed, so
// one server bug does not hide the others.
import * as oauth from '/vendor/oauth4webapi.js';

const config = await (await fetch('/config.json')).json();
// oauth4webapi refuses http:// endpoints unless told otherwise; these servers
// listen on loopback, where OAuth allows plain http (RFC 8252 7.3).
const insecure = { [oauth.allowInsecureRequests]: true };
const client = { client_id: config.client_id };
const noClientAuth = oauth.None(); // a public client (RFC 6749 2.1)
const saved = window.sessionStorage;
// Kept across page loads: the second grant starts with a new page.
const steps = JSON.parse(saved.getItem('steps') ?? '[]');

function describe(error) {
  const cause = error?.cause;
  return {
    name: error?.name,
    code: error?.code,
    message: String(error?.message ?? error),
    error: error?.error,
    error_description: error?.error_description,
    status: error?.status ?? cause?.status,
    cause:
      cause instanceof URLSearchParams
        ? Object.fromEntries(cause)
        : cause instanceof Response
          ? { status: cause.status }
          : cause,
  };
}

async function step(name, needs, action) {
  const missing = needs.filter((need) => !steps.some((s) => s.name === need && s.ok));
  if (missing.length) {
    steps.push({ name, ok: false, skipped: `needs ${missing.join(', ')}` });
    return undefined;
  }
  try {
    const value = await action();
    steps.push({ name, ok: true, detail: value?.detail ?? null });
    return value;
  } catch (error) {
    steps.push({ name, ok: false, error: describe(error) });
    return undefined;
  }
}

// Expect the server to refuse, as the RFC says it refuses: the library
// must throw its parsed error (a network or CORS failure is not a refusal).
async function refused(action, expected) {
  try {
    await action();
  } catch (error) {
    const seen = describe(error);
    if (!expected(error)) {
      throw new Error(`refused, but not as expected: ${JSON.stringify(seen)}`);
    }
    return { detail: seen };
  }
  throw new Error('the server accepted what it must refuse');
}

// RFC 6749 5.2: 400 invalid_grant for a refresh token that is no longer valid.
const invalidGrant = (error) =>
  error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant' && error.status === 400;
// RFC 6750 3.1: 401 for a revoked token. The WWW-Authenticate challenge is
// readable cross-origin only if the AS exposes it (Access-Control-Expose-Headers);
// without it the library still sees the 401 status.
const unauthorized = (error) =>
  (error instanceof oauth.WWWAuthenticateChallengeError && error.status === 401) ||
  (error?.code === oauth.RESPONSE_IS_NOT_CONFORM && error?.cause?.status === 401);

function done() {
  saved.removeItem('steps');
  document.getElementById('result').textContent = JSON.stringify(steps, null, 1);
  document.body.dataset.done = 'true';
}

async function discover() {
  const issuer = new URL(config.issuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  // Checks that the document's issuer is exactly the one asked for.
  return oauth.processDiscoveryResponse(issuer, response);
}

// The authorization request (RFC 6749 4.1.1, RFC 7636 4.3, OIDC Core 3.1.2.1).
async function authorizationUrl(as, grant) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  saved.setItem('login', JSON.stringify({ codeVerifier, state, nonce, grant }));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: config.redirect_uri,
    scope: config.scope,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url, detail: { grant } };
}

// Leave for the AS, keeping the steps so far for the page that comes back.
function go(request) {
  saved.setItem('steps', JSON.stringify(steps));
  window.location.assign(request.url.href);
}

async function start() {
  const as = await step('discovery', [], discover);
  const request = await step('authorization request', ['discovery'], () => authorizationUrl(as, 1));
  if (request) go(request);
  else done();
}

// The callback: redeem the code (PKCE), validate the response and id_token.
async function redeem(as, login, prefix) {
  const params = await step(`${prefix}authorization response`, [], async () =>
    // state must match; iss must be the issuer (RFC 9207); no error.
    oauth.validateAuthResponse(as, client, new URL(window.location.href), login.state),
  );
  let tokenResponse;
  const tokens = await step(`${prefix}token request`, [`${prefix}authorization response`], async () => {
    tokenResponse = await oauth.authorizationCodeGrantRequest(
      as, client, noClientAuth, params, config.redirect_uri, login.codeVerifier, insecure,
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, {
      expectedNonce: login.nonce,
      requireIdToken: true,
    });
    return Object.assign(result, { detail: { scope: result.scope } });
  });
  return { tokens, tokenResponse };
}

// Grant 1: id_token, userinfo, the photos API, refresh with rotation.
async function firstGrant(as, login) {
  const { tokens, tokenResponse } = await redeem(as, login, '');
  const claims = await step('id_token', ['token request'], async () => {
    // iss, aud, exp, iat, nonce were checked with the token response; the
    // signature is checked here against the AS's JWKS (OIDC Core 3.1.3.7
    // item 6 makes that optional only when TLS vouches for the issuer).
    await oauth.validateApplicationLevelSignature(as, tokenResponse, insecure);
    const validated = oauth.getValidatedIdTokenClaims(tokens);
    return Object.assign({}, validated, { detail: { sub: validated.sub, aud: validated.aud } });
  });
  await step('userinfo', ['id_token'], async () => {
    const response = await oauth.userInfoRequest(as, client, tokens.access_token, insecure);
    const info = await oauth.processUserInfoResponse(as, client, claims.sub, response);
    return { detail: { sub: info.sub, name: info.name } };
  });
  await step('photos API', ['token request'], async () => {
    const response = await oauth.protectedResourceRequest(
      tokens.access_token, 'GET', new URL(`${config.api}/api/photos`), new Headers(), null, insecure,
    );
    if (response.status !== 200) throw new Error(`the photos API answered ${response.status}`);
    const body = await response.json();
    return { detail: { owner: body.owner } };
  });
  await step('refresh', ['token request'], async () => {
    const response = await oauth.refreshTokenGrantRequest(
      as, client, noClientAuth, tokens.refresh_token, insecure,
    );
    const result = await oauth.processRefreshTokenResponse(as, client, response);
    // RFC 9700 4.14.2: a public client's refresh token is rotated: a new one each time.
    if (!result.refresh_token || result.refresh_token === tokens.refresh_token) {
      throw new Error('refresh token not rotated');
    }
    return { detail: { rotated: true } };
  });
  await step('old refresh token refused', ['refresh'], async () =>
    refused(async () => {
      const response = await oauth.refreshTokenGrantRequest(
        as, client, noClientAuth, tokens.refresh_token, insecure,
      );
      await oauth.processRefreshTokenResponse(as, client, response);
    }, invalidGrant),
  );
  // That replay revoked grant 1 (reuse detection): revocation needs a live
  // grant. Signed in, consent remembered: the AS sends the browser straight back.
  const request = await step('second authorization request', [], () => authorizationUrl(as, 2));
  if (request) go(request);
  else done();
}

// Grant 2: revoke its refresh token (RFC 7009); both its tokens then refused.
async function secondGrant(as, login) {
  const { tokens } = await redeem(as, login, 'grant 2: ');
  await step('revocation', ['grant 2: token request'], async () => {
    const response = await oauth.revocationRequest(
      as, client, noClientAuth, tokens.refresh_token,
      { additionalParameters: { token_type_hint: 'refresh_token' }, ...insecure },
    );
    await oauth.processRevocationResponse(response);
  });
  await step('revoked refresh token refused', ['revocation'], async () =>
    refused(async () => {
      const response = await oauth.refreshTokenGrantRequest(
        as, client, noClientAuth, tokens.refresh_token, insecure,
      );
      await oauth.processRefreshTokenResponse(as, client, response);
    }, invalidGrant),
  );
  // RFC 7009 2.1: revoking a refresh token SHOULD revoke its grant's access tokens.
  await step('its access token refused', ['revocation'], async () =>
    refused(async () => {
      const response = await oauth.userInfoRequest(as, client, tokens.access_token, insecure);
      await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, response);
    }, unauthorized),
  );
  done();
}

async function callback() {
  const login = JSON.parse(saved.getItem('login') ?? '{}');
  const as = await step(login.grant === 2 ? 'grant 2: discovery' : 'discovery', [], discover);
  if (!as) return done();
  return login.grant === 2 ? secondGrant(as, login) : firstGrant(as, login);
}

const onCallback = window.location.pathname === new URL(config.redirect_uri).pathname;
await (onCallback ? callback() : start());
