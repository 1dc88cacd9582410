// VaceFunctions on Azure: the Durable Functions app (functions/) on Flex Consumption with its storage, identity,
// roles, Key Vault secret, monitoring and Event Grid delivery for the blob trigger. Deployed with `azd up`;
// see infra/README.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the unique resource names.')
param environmentName string

@minLength(1)
@description('Azure region of every resource: one that offers Flex Consumption (az functionapp list-flexconsumption-locations -o table).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@secure()
@description('DashScope API key from Model Studio, of the same region as dashScopeRegion, written to Key Vault. Empty: the secret is left as it is; with none yet the app starts and fails each job with NotConfigured until one is set.')
param dashScopeApiKey string = ''

@secure()
@description('Secret that signs callbacks (X-Vace-Signature), written to Key Vault. Empty: the secret is left as it is; with none callbacks are unsigned.')
param callbackSecret string = ''

@description('More containers a job\'s output.container may name, comma-separated (the app\'s identity may write to every container of the account). Empty: only vace-output.')
param allowedOutputContainers string = ''

@description('Clients of the DashScope-compatible face, which take their key as Authorization: Bearer: name=sha256:… pairs from vace key new --client NAME, comma-separated (hashes only, no key). Empty: no client.')
param httpClientKeys string = ''

@description('Model Studio region: International (Singapore endpoint, wan2.1-vace-plus) or ChineseMainland (Beijing endpoint, wanx2.1-vace-plus).')
@allowed([
  'International'
  'ChineseMainland'
])
param dashScopeRegion string = 'International'

@description('DashScope service root; empty: the region\'s public endpoint.')
param dashScopeBaseUrl string = ''

@description('Tasks running at once on the DashScope account (admission slots; the service allows 2).')
@minValue(1)
@maxValue(100)
param maxConcurrentTasks int = 2

@description('Task submissions per second to the DashScope account (the service allows 2).')
@minValue(1)
@maxValue(100)
param submissionsPerSecond int = 2

@description('Steady interval between polls of a running task (TimeSpan, 00:00:00.100 to 00:10:00).')
param pollInterval string = '00:00:15'

@description('How long a job may wait for a slot and for its task before it fails with Timeout (TimeSpan, 00:00:05 to 23:00:00).')
param maxWait string = '01:00:00'

@description('Most instances the Flex Consumption plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Durable Task hub name (its queues, tables and containers in the storage account).')
param taskHubName string = 'VaceHub'

@description('Principal id of the deploying user (azd sets AZURE_PRINCIPAL_ID); it gets blob and queue data access to send jobs and read outputs. Empty: none.')
param principalId string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'

var outputContainer = 'vace-output'
var stateContainer = 'vace-state'
var inboxContainer = 'vace-inbox'
var deploymentContainer = 'deployments'
var jobsQueue = 'vace-jobs'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      outputContainer
      stateContainer
      inboxContainer
      deploymentContainer
    ]
    queueNames: [
      jobsQueue
      '${jobsQueue}-poison'
    ]
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    secretName: 'dashscope-api-key'
    dashScopeApiKey: dashScopeApiKey
    callbackSecretName: 'vace-callback-secret'
    callbackSecret: callbackSecret
  }
}

module roles 'app/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
  }
}

module functionApp 'app/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainer}'
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    apiKeySecretUri: keyVault.outputs.apiKeySecretUri
    callbackSecretUri: keyVault.outputs.callbackSecretUri
    allowedOutputContainers: allowedOutputContainers
    httpClientKeys: httpClientKeys
    dashScopeRegion: dashScopeRegion
    dashScopeBaseUrl: dashScopeBaseUrl
    maxConcurrentTasks: maxConcurrentTasks
    submissionsPerSecond: submissionsPerSecond
    pollInterval: pollInterval
    maxWait: maxWait
    maximumInstanceCount: maximumInstanceCount
    taskHubName: taskHubName
    outputContainer: outputContainer
    stateContainer: stateContainer
    inboxContainer: inboxContainer
    jobsQueue: jobsQueue
  }
  // The app reads storage, the secret and telemetry as its identity from its first start.
  dependsOn: [
    roles
  ]
}

module eventGrid 'app/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    systemTopicName: '${abbrs.eventGridSystemTopics}${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_EVENT_GRID_SYSTEM_TOPIC string = eventGrid.outputs.systemTopicName
output VACE_INBOX_CONTAINER string = inboxContainer
