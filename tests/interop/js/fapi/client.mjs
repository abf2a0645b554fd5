// A FAPI 2.0 client on oauth4webapi (panva), driven by tests/interop/test_fapi_client.py.
//
// It speaks JSON lines: it prints {"authorize": URL} after pushing its
// authorization request (PAR, private_key_jwt, PKCE S256, a DPoP proof), reads
// the redirect URI the resource owner was sent to from stdin, then validates
// the answer (state, iss), redeems the code with DPoP, calls the photos API
// with the DPoP-bound token, and prints {"result": {...}} with what it saw.
// Every OAuth message is the library's; this file only wires them together.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import * as oauth from 'oauth4webapi'

const [issuerUrl, apiUrl, keyFile, kid, clientId, redirectUri] = process.argv.slice(2)
// http on loopback only: `serve` refuses any other host.
const insecure = { [oauth.allowInsecureRequests]: true }
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n')

// RFC 9449 8: answered use_dpop_nonce, send the request again; the DPoP
// handle has kept the nonce from the DPoP-Nonce header.
// (At the token and PAR endpoints the library throws while reading the 400
// answer; at a protected resource, already on the 401 challenge.)
async function withNonceRetry(send, process) {
  try {
    return { value: await process(await send()), retried: false }
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error
    return { value: await process(await send()), retried: true }
  }
}

async function main() {
  const issuer = new URL(issuerUrl)
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  )
  const client = { client_id: clientId }
  const pem = readFileSync(keyFile, 'utf8')
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  const key = await crypto.subtle.importKey(
    'pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'],
  )
  const clientAuth = oauth.PrivateKeyJwt({ key, kid })
  const dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))

  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const parameters = new URLSearchParams({
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'basic photos.read',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  })
  const pushed = await withNonceRetry(
    () => oauth.pushedAuthorizationRequest(as, client, clientAuth, parameters, {
      DPoP: dpop, ...insecure,
    }),
    (response) => oauth.processPushedAuthorizationResponse(as, client, response),
  )
  const authorize = new URL(as.authorization_endpoint)
  authorize.searchParams.set('client_id', clientId)
  authorize.searchParams.set('request_uri', pushed.value.request_uri)
  say({ authorize: authorize.href })

  const callback = new URL((await lines.next()).value.trim())
  // RFC 9207: checks iss against the issuer (the metadata says it is sent).
  const answer = oauth.validateAuthResponse(as, client, callback, state)
  const tokens = await withNonceRetry(
    () => oauth.authorizationCodeGrantRequest(
      as, client, clientAuth, answer, redirectUri, codeVerifier, { DPoP: dpop, ...insecure },
    ),
    (response) => oauth.processAuthorizationCodeResponse(as, client, response),
  )
  const photosUrl = new URL('/api/photos', apiUrl)
  const api = await withNonceRetry(
    () => oauth.protectedResourceRequest(
      tokens.value.access_token, 'GET', photosUrl, undefined, undefined, {
        DPoP: dpop, ...insecure,
      },
    ),
    async (response) => ({ status: response.status, body: await response.json() }),
  )
  // The same token without its key: sent as a bearer token, as a thief would.
  const stolen = await fetch(photosUrl, {
    headers: { authorization: `Bearer ${tokens.value.access_token}` },
  })
  say({
    result: {
      par: { request_uri: pushed.value.request_uri, expires_in: pushed.value.expires_in,
        nonce_retry: pushed.retried },
      token_type: tokens.value.token_type,
      access_token: tokens.value.access_token,
      api: { ...api.value, nonce_retry: api.retried },
      bearer: { status: stolen.status, challenge: stolen.headers.get('www-authenticate') },
    },
  })
}

main().then(
  () => process.exit(0),
  (error) => {
    say({ error: `${error.name}: ${error.message}`, cause: JSON.stringify(error.cause ?? null) })
    process.exit(1)
  },
)
