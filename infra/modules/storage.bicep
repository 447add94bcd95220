// The storage account: the Functions host's storage (AzureWebJobsStorage, through the managed
// identity), the deployment package container that `azd deploy` uploads to, the photo table and
// the container of photo bytes. Shared-key access is off: every caller authenticates with
// Entra ID; no container allows anonymous (public) reads.

@description('Name of the storage account (3-24 lower-case letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the storage account.')
param location string

@description('Tags applied to the storage account.')
param tags object = {}

@description('Blob container that holds the function app\'s deployment package.')
param deploymentContainerName string

@description('Name of the table that stores the profile photos.')
@minLength(3)
@maxLength(63)
param tableName string

@description('Blob container that holds the photos\' bytes (3-63 lower-case letters, digits and single hyphens).')
@minLength(3)
@maxLength(63)
param photosContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobServices 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobServices
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// The app also creates its container when missing, but provisioning it here means the app never
// needs to: its identity's photo role is scoped to this container (rbac.bicep).
resource photosContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobServices
  name: photosContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableServices 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource photosTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableServices
  name: tableName
}

@description('Name of the storage account.')
output name string = storage.name

@description('Primary blob endpoint, e.g. https://<account>.blob.core.windows.net/ (with the trailing slash).')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Table endpoint without the trailing slash, e.g. https://<account>.table.core.windows.net.')
output tableServiceUri string = 'https://${storage.name}.table.${environment().suffixes.storage}'

@description('Name of the photo table.')
output tableName string = photosTable.name

@description('Name of the container of photo bytes.')
output photosContainerName string = photosContainer.name
