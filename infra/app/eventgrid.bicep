// Event Grid delivery for the blob trigger StartJobFromBlob (Source = EventGrid): a system topic on the storage
// account and, once the app's code is deployed, a subscription that sends BlobCreated events for
// {folder}/job.json in the inbox container to the blob extension's webhook.

@description('Name of the Event Grid system topic.')
param systemTopicName string

@description('Azure region of the storage account (the system topic lives beside it).')
param location string

@description('Tags for the system topic.')
param tags object

@description('Name of the storage account whose blob events are published.')
param storageAccountName string

@description('Name of the function app that hosts StartJobFromBlob.')
param functionAppName string

@description('Container of the blob-upload pipeline.')
param inboxContainer string

@description('Create the event subscription. The blobs_extension system key it needs exists only after the code is deployed.')
param createSubscription bool

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

// Microsoft.Web/sites/host has no Bicep types, so its keys are listed by resource id. The blobs_extension
// system key appears once the host has loaded a blob trigger, which is why the subscription waits for the deploy.
#disable-next-line use-recognized-resource-type
var blobsExtensionKey = listKeys(resourceId('Microsoft.Web/sites/host', functionAppName, 'default'), '2025-03-01').systemKeys.blobs_extension

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource jobFileCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (createSubscription) {
  parent: systemTopic
  name: 'start-job-from-blob'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.StartJobFromBlob&code=${blobsExtensionKey}'
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${inboxContainer}/'
      subjectEndsWith: '/job.json'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output systemTopicName string = systemTopic.name
