// The Azure Functions app (functions/, .NET 10 isolated worker) on a Flex Consumption plan. It runs as the
// user-assigned identity: storage, the deployment package, the secrets and telemetry are all reached without
// a key or connection string. sites/config/appsettings replaces every setting at each provision, so every setting
// the app needs in Azure is written here from a parameter: one added by hand is gone after the next provision.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags for the plan and the app (the app also gets azd-service-name).')
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Name of the storage account behind AzureWebJobsStorage (queues, blobs, the Durable Task hub).')
param storageAccountName string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Versionless URI of the Key Vault secret with the DashScope API key (it may not exist yet).')
param apiKeySecretUri string

@description('Versionless URI of the Key Vault secret that signs callbacks (it may not exist).')
param callbackSecretUri string

@description('More containers a job\'s output.container may name, comma-separated; empty: only the output container.')
param allowedOutputContainers string

@description('Clients of the DashScope-compatible face: name=sha256:… pairs (vace key new), comma-separated.')
param httpClientKeys string

@description('Model Studio region: International (Singapore) or ChineseMainland (Beijing).')
@allowed([
  'International'
  'ChineseMainland'
])
param dashScopeRegion string

@description('DashScope service root; empty: the region\'s public endpoint.')
param dashScopeBaseUrl string

@description('Tasks running at once on the DashScope account (admission slots).')
param maxConcurrentTasks int

@description('Task submissions per second to the DashScope account.')
param submissionsPerSecond int

@description('Steady interval between polls of a running task (TimeSpan, e.g. 00:00:15).')
param pollInterval string

@description('How long a job may wait for a slot and for its task before it fails (TimeSpan, e.g. 01:00:00).')
param maxWait string

@description('Most instances the Flex Consumption plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Durable Task hub name.')
param taskHubName string

@description('Container that receives outputs and manifests.')
param outputContainer string

@description('Container of the workflow\'s own records (admission slots, submission records).')
param stateContainer string

@description('Container of the blob-upload pipeline ({folder}/job.json plus its media).')
param inboxContainer string

@description('Queue of job documents.')
param jobsQueue string

// The model follows the region: model, endpoint and key must belong to one region.
var dashScopeModel = dashScopeRegion == 'ChineseMainland' ? 'wanx2.1-vace-plus' : 'wan2.1-vace-plus'

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // Always a reference: a reference to a secret not written yet does not resolve, and the app reads such a value
    // as no key (jobs fail with NotConfigured) or no callback secret, until the secret exists.
    DashScope__ApiKey: '@Microsoft.KeyVault(SecretUri=${apiKeySecretUri})'
    DashScope__Region: dashScopeRegion
    DashScope__BaseUrl: dashScopeBaseUrl
    DashScope__Model: dashScopeModel
    Vace__MaxConcurrentTasks: string(maxConcurrentTasks)
    Vace__SubmissionsPerSecond: string(submissionsPerSecond)
    Vace__PollInterval: pollInterval
    Vace__MaxWait: maxWait
    Vace__OutputContainer: outputContainer
    Vace__AllowedOutputContainers: allowedOutputContainers
    Vace__Http__KeyList: httpClientKeys
    Vace__CallbackSecret: '@Microsoft.KeyVault(SecretUri=${callbackSecretUri})'
    Vace__StateContainer: stateContainer
    Vace__Queue__Name: jobsQueue
    Vace__Inbox__Container: inboxContainer
    Durable__TaskHub: taskHubName
  }
}

output id string = functionApp.id
output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
