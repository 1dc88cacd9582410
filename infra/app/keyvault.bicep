// The Key Vault that holds the DashScope API key. Access is by Azure RBAC only (no access policies); the
// function app reads the secret through a Key Vault reference with its managed identity.

@description('Name of the Key Vault (3-24 characters).')
param name string

@description('Azure region of the Key Vault.')
param location string

@description('Tags for the Key Vault.')
param tags object

@description('Name of the secret that holds the DashScope API key.')
param secretName string

@secure()
@description('The DashScope API key. Empty: no secret is written and the app setting stays empty.')
param dashScopeApiKey string

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource apiKey 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (!empty(dashScopeApiKey)) {
  parent: vault
  name: secretName
  properties: {
    value: dashScopeApiKey
    contentType: 'text/plain'
  }
}

output id string = vault.id
output name string = vault.name

@description('The versionless URI of the API key secret, or empty when no key was given.')
output apiKeySecretUri string = apiKey.?properties.secretUri ?? ''
