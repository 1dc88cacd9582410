// The Key Vault that holds the app's secrets: the DashScope API key and the callback signing secret. Access is by
// Azure RBAC only (no access policies); the function app reads them through Key Vault references with its managed
// identity. A secret is written only by a provision that is given its value, and its URI is known either way, so the
// app settings always reference it: a later provision without the value (CI, another machine) keeps the secret.

@description('Name of the Key Vault (3-24 characters).')
param name string

@description('Azure region of the Key Vault.')
param location string

@description('Tags for the Key Vault.')
param tags object

@description('Name of the secret that holds the DashScope API key.')
param secretName string

@secure()
@description('The DashScope API key. Empty: the secret is left as it is (none on a first provision).')
param dashScopeApiKey string

@description('Name of the secret that signs callbacks.')
param callbackSecretName string

@secure()
@description('The callback signing secret. Empty: the secret is left as it is (none on a first provision).')
param callbackSecret string

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

resource callbackSigning 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (!empty(callbackSecret)) {
  parent: vault
  name: callbackSecretName
  properties: {
    value: callbackSecret
    contentType: 'text/plain'
  }
}

output id string = vault.id
output name string = vault.name

// Built from the vault's URI, not from the conditional secrets: the same URIs whether this run wrote them or not.
@description('The versionless URI of the API key secret, whether or not this provision wrote it.')
output apiKeySecretUri string = '${vault.properties.vaultUri}secrets/${secretName}'

@description('The versionless URI of the callback secret, whether or not this provision wrote it.')
output callbackSecretUri string = '${vault.properties.vaultUri}secrets/${callbackSecretName}'
