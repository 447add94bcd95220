// The user-assigned managed identity the function app runs as. One identity for the host
// (AzureWebJobsStorage, deployment package, Application Insights) and for the app (the photo table).

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource ID of the identity.')
output resourceId string = identity.id

@description('Client (application) ID of the identity: what DefaultAzureCredential and the host are given.')
output clientId string = identity.properties.clientId

@description('Principal (object) ID of the identity: what role assignments name.')
output principalId string = identity.properties.principalId

@description('Name of the identity.')
output name string = identity.name
