// graph-photos on Azure: a resource group with a Flex Consumption (FC1) Python 3.11 function
// app, its storage (shared keys disabled; the ProfilePhotos table and the private
// profile-photos container), a user-assigned managed identity with the data-plane roles it
// needs, and Application Insights with Entra ID auth. CORS for browsers is the platform's
// (siteConfig.cors). Deployed by `azd up` (azure.yaml); parameters come from
// main.parameters.json.
targetScope = 'subscription'

@description('Name of the azd environment; it names the resource group and seeds the unique resource names.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region for all resources; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@minLength(1)
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Token audiences the service accepts (AUTH_AUDIENCES), comma-separated: the API\'s Application ID URI (api://<app-id>) and its application (client) ID.')
@minLength(1)
param authAudiences string

@description('Entra ID tenant whose tokens the service accepts (AUTH_TENANT_ID); empty means the tenant of this deployment.')
param authTenantId string = ''

@description('Name of the table that stores the profile photos (PHOTOS_TABLE_NAME).')
@minLength(3)
@maxLength(63)
param tableName string = 'ProfilePhotos'

@description('Name of the blob container that stores the photos\' bytes (PHOTOS_CONTAINER_NAME): 3-63 lower-case letters, digits and single hyphens.')
@minLength(3)
@maxLength(63)
param containerName string = 'profile-photos'

@description('Where /users/{upn} finds the user\'s object id (DIRECTORY): tokens (UPNs of validated tokens the service has seen) or graph (Microsoft Graph; the identity needs the User.Read.All application permission, which this template cannot grant).')
@allowed([
  'tokens'
  'graph'
])
param directory string = 'tokens'

@description('Origins browsers may call the API from, comma-separated like Host.CORS in local.settings.json (e.g. https://app.contoso.com,http://localhost:8080); * allows any origin; empty means none. Into siteConfig.cors.allowedOrigins.')
param corsAllowedOrigins string = ''

@description('Whether CORS responses allow credentials (siteConfig.cors.supportCredentials, like Host.CORSCredentials); list explicit origins with it, not *.')
param corsSupportCredentials bool = false

@description('Name of the resource group; empty means rg-<environmentName>.')
param resourceGroupName string = ''

@description('Most instances the function app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each function app instance, in MB.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var tenantId = empty(authTenantId) ? tenant().tenantId : authTenantId
// A comma-separated string (as azd environment values are strings) into the array siteConfig.cors
// takes; origins hold no spaces, so every space is dropped.
var corsOrigins = empty(corsAllowedOrigins) ? [] : split(replace(corsAllowedOrigins, ' ', ''), ',')

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    tableName: tableName
    photosContainerName: containerName
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    photosContainerName: storage.outputs.photosContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: identity.outputs.principalId
  }
}

module api 'modules/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    corsAllowedOrigins: corsOrigins
    corsSupportCredentials: corsSupportCredentials
    appSettings: {
      PHOTOS_STORAGE__tableServiceUri: storage.outputs.tableServiceUri
      PHOTOS_STORAGE__blobServiceUri: storage.outputs.blobEndpoint
      PHOTOS_STORAGE__clientId: identity.outputs.clientId
      PHOTOS_TABLE_NAME: storage.outputs.tableName
      PHOTOS_CONTAINER_NAME: storage.outputs.photosContainerName
      AUTH_TENANT_ID: tenantId
      AUTH_AUDIENCES: authAudiences
      DIRECTORY: directory
    }
  }
  // The host needs its storage roles before it starts.
  dependsOn: [
    rbac
  ]
}

@description('Region of the deployment (azd).')
output AZURE_LOCATION string = location

@description('Tenant of the deployment (azd).')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group that holds everything.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Name of the function app.')
output AZURE_FUNCTION_NAME string = api.outputs.name

@description('Base URL of the function app; the API is under /api.')
output AZURE_FUNCTION_URL string = api.outputs.uri

@description('Name of the function app, for the azd service api.')
output SERVICE_API_NAME string = api.outputs.name

@description('Base URL of the function app, for the azd service api.')
output SERVICE_API_URI string = api.outputs.uri

@description('Storage account of the app (host storage, photo table and container).')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Table service endpoint of the photo table.')
output PHOTOS_STORAGE_TABLE_SERVICE_URI string = storage.outputs.tableServiceUri

@description('Name of the photo table.')
output PHOTOS_TABLE_NAME string = storage.outputs.tableName

@description('Blob service endpoint of the photo container.')
output PHOTOS_STORAGE_BLOB_SERVICE_URI string = storage.outputs.blobEndpoint

@description('Name of the container of photo bytes.')
output PHOTOS_CONTAINER_NAME string = storage.outputs.photosContainerName

@description('Client ID of the function app\'s user-assigned identity.')
output AZURE_FUNCTION_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Tenant whose tokens the service accepts.')
output AUTH_TENANT_ID string = tenantId
