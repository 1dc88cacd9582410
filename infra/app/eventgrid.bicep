// Event Grid delivery for the blob trigger StartJobFromBlob (Source = EventGrid): the system topic on the storage
// account. Its subscription is made by the postdeploy hook (infra/hooks/postdeploy.sh, .ps1), once the deployed code
// has given the host its blobs_extension system key: a template that lists the key cannot run on a fresh app, and
// ARM may evaluate a list function even in a resource whose condition is false.

@description('Name of the Event Grid system topic.')
param systemTopicName string

@description('Azure region of the storage account (the system topic lives beside it).')
param location string

@description('Tags for the system topic.')
param tags object

@description('Name of the storage account whose blob events are published.')
param storageAccountName string

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output systemTopicName string = systemTopic.name
