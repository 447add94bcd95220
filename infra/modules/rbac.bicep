// Data-plane roles for the function app's user-assigned identity. Nothing here uses keys:
// the host reaches its storage, the app reaches the photo table and the photo container, and
// both send telemetry with Entra ID tokens. Role assignment names are deterministic (scope,
// principal, role), so a re-deployment updates the same assignments instead of failing with
// RoleAssignmentExists.

@description('Name of the storage account that holds the host storage, the deployment package and the photo table.')
param storageAccountName string

@description('Name of the blob container of photo bytes (it must exist: the storage module creates it).')
param photosContainerName string

@description('Name of the Application Insights component the app sends telemetry to.')
param applicationInsightsName string

@description('Principal (object) ID of the function app\'s user-assigned identity.')
param principalId string

// Built-in role definition IDs (the same in every tenant).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobServices 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource photosContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobServices
  name: photosContainerName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// AzureWebJobsStorage (host keys, leases) and the deployment package container. Account-wide,
// as the Functions host needs it: the host creates its own containers (azure-webjobs-hosts,
// azure-webjobs-secrets) at run time.
resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
  }
}

// AzureWebJobsStorage: the host's queues (e.g. blob trigger receipts, scale monitoring).
resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
  }
}

// The app's photo bytes (PHOTOS_STORAGE__blobServiceUri, PHOTOS_CONTAINER_NAME): read, write
// and delete blobs in that one container, nothing else. The account-wide Blob Data Owner above
// covers it today, because the host and the app share one account and one identity; this is
// the app's own need, and stays right if the host storage moves to an account of its own.
resource blobDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(photosContainer.id, principalId, storageBlobDataContributor)
  scope: photosContainer
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

// The app's photo table (PHOTOS_STORAGE__tableServiceUri). Scoped to the account, not the table:
// the app creates its table when missing (once per process), and Create Table is an account-level
// operation (POST /Tables).
resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageTableDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
  }
}

// Application Insights with local auth disabled accepts telemetry only from this role.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}
