// One Web App for Containers. The image is set here only on creation's behalf: the deploy pipelines
// change it on every release (and pass the running tag back in when infra is redeployed).
param name string
param location string
param tags object
param planId string
@description('Full image reference, e.g. workopti.azurecr.io/workopti:dev-py-<commit>.')
param image string
param identityId string
param identityClientId string
@description('App settings as name/value pairs; secrets as Key Vault references.')
param appSettings array
@description('Port the container listens on.')
param port int
@description('Path App Service probes to take an instance out of rotation; empty for none.')
param healthCheckPath string = ''
@description('Command that replaces the image\'s CMD; empty keeps it.')
param commandLine string = ''
@description('Serves requests from the internet (the API and the web app); workers take none.')
param publicAccess bool = true
@description('Instances this app runs on; 0 for every instance of the plan.')
param instances int = 0
@description('When set, only this Front Door profile (its X-Azure-FDID) may reach the app.')
param frontDoorId string = ''

var settings = concat(appSettings, [
  { name: 'WEBSITES_PORT', value: string(port) }
  { name: 'WEBSITES_ENABLE_APP_SERVICE_STORAGE', value: 'false' }
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
])

var frontDoorOnly = [
  {
    name: 'front-door'
    action: 'Allow'
    priority: 100
    tag: 'ServiceTag'
    ipAddress: 'AzureFrontDoor.Backend'
    headers: {
      'x-azure-fdid': [frontDoorId]
    }
  }
]


resource site 'Microsoft.Web/sites@2023-12-01' = {
  // checkov:skip=CKV_AZURE_17: callers authenticate with bearer tokens (Clerk), browsers carry no client certificates
  // checkov:skip=CKV_AZURE_222: public access is a parameter: on for the API and the web app (behind Front Door), off for the workers
  // checkov:skip=CKV_AZURE_213: App Service health checks are set for the apps that serve HTTP (healthCheckPath); workers serve none
  name: name
  location: location
  tags: tags
  kind: 'app,linux,container'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: publicAccess ? 'Enabled' : 'Disabled'
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: 'DOCKER|${image}'
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: identityClientId
      appCommandLine: commandLine
      alwaysOn: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      remoteDebuggingEnabled: false
      httpLoggingEnabled: true
      detailedErrorLoggingEnabled: true
      requestTracingEnabled: true
      healthCheckPath: empty(healthCheckPath) ? null : healthCheckPath
      ipSecurityRestrictions: empty(frontDoorId) ? [] : frontDoorOnly
      ipSecurityRestrictionsDefaultAction: empty(frontDoorId) ? 'Allow' : 'Deny'
      appSettings: settings
      numberOfWorkers: instances == 0 ? null : instances
    }
  }
}

output defaultHostName string = site.properties.defaultHostName
output name string = site.name
output appSettings array = settings
