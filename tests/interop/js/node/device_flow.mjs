// oauth4webapi as a device (RFC 8628): the device authorization request, then
// one token request per "poll" line on standard input, each answer printed
// as one JSON line. The test drives the person's part and the clock between.
// Usage: node device_flow.mjs ISSUER CLIENT_ID SCOPE
import * as oauth from 'oauth4webapi'
import * as readline from 'node:readline'

const [issuerUrl, clientId, scope] = process.argv.slice(2)
const insecure = { [oauth.allowInsecureRequests]: true } // loopback http only
const issuer = new URL(issuerUrl)
const as = await oauth.processDiscoveryResponse(
  issuer,
  await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
)
const client = { client_id: clientId }
const auth = oauth.None()

const device = await oauth.processDeviceAuthorizationResponse(
  as,
  client,
  await oauth.deviceAuthorizationRequest(as, client, auth, { scope }, insecure),
)
console.log(JSON.stringify(device))

for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.trim() !== 'poll') break
  try {
    const tokens = await oauth.processDeviceCodeResponse(
      as,
      client,
      await oauth.deviceCodeGrantRequest(as, client, auth, device.device_code, insecure),
    )
    const answer = await oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL('/api/photos', new URL(as.protected_resources[0])),
      undefined,
      undefined,
      insecure,
    )
    console.log(JSON.stringify({ token_type: tokens.token_type, scope: tokens.scope, api_status: answer.status }))
  } catch (error) {
    console.log(JSON.stringify({ error: error.error, error_description: error.error_description, status: error.status }))
  }
}
