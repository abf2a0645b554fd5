// oauth4webapi meets an API it has never seen: protected resource metadata
// (RFC 9728), authorization server metadata (RFC 8414), a token for exactly
// that API (RFC 8707 resource), the API call, and invalid_target.
// Usage: node resource_discovery.mjs API_URL CLIENT_ID CLIENT_SECRET
// Prints one JSON object: what each step found.
import * as oauth from 'oauth4webapi'

const [apiUrl, clientId, clientSecret] = process.argv.slice(2)
const insecure = { [oauth.allowInsecureRequests]: true } // loopback http only
const out = {}

const resource = new URL(apiUrl)
// RFC 9728 3.3: the library checks that "resource" is the identifier it asked about.
const rs = await oauth.processResourceDiscoveryResponse(
  resource,
  await oauth.resourceDiscoveryRequest(resource, insecure),
)
out.resource = rs.resource
out.authorization_servers = rs.authorization_servers
out.bearer_methods_supported = rs.bearer_methods_supported

const issuer = new URL(rs.authorization_servers[0])
const as = await oauth.processDiscoveryResponse(
  issuer,
  await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
)
out.issuer = as.issuer
out.protected_resources = as.protected_resources

const client = { client_id: clientId }
const auth = oauth.ClientSecretBasic(clientSecret)
const tokens = await oauth.processClientCredentialsResponse(
  as,
  client,
  await oauth.clientCredentialsGrantRequest(
    as,
    client,
    auth,
    { scope: 'photos.read', resource: rs.resource },
    insecure,
  ),
)
out.access_token = tokens.access_token

const answer = await oauth.protectedResourceRequest(
  tokens.access_token,
  'GET',
  new URL('/api/photos', resource),
  undefined,
  undefined,
  insecure,
)
out.api_status = answer.status
out.photos = (await answer.json()).photos.map((photo) => photo.title)

try {
  await oauth.processClientCredentialsResponse(
    as,
    client,
    await oauth.clientCredentialsGrantRequest(
      as,
      client,
      auth,
      { scope: 'photos.read', resource: 'https://unknown.example/api' },
      insecure,
    ),
  )
  out.unknown_resource = 'accepted'
} catch (error) {
  out.unknown_resource = { status: error.status, error: error.error, error_description: error.error_description }
}

console.log(JSON.stringify(out))
