// The staging slot of a Web App: a release is deployed here, warmed up and checked on /health/ready,
// then swapped into production, so the new image takes traffic only once it is ready. It runs with the
// production slot's settings (none are slot-specific).
param siteName string
param location string
param tags object
param planId string
param image string
param identityId string
param identityClientId string
@description('The production slot\'s app settings (webapp.bicep output).')
param appSettings array
param healthCheckPath string

resource site 'Microsoft.Web/sites@2023-12-01' existing = {
  name: siteName
}

resource staging 'Microsoft.Web/sites/slots@2023-12-01' = {
  // checkov:skip=CKV_AZURE_222: the deploy pipeline's health gate reaches the staging slot before the swap
  // checkov:skip=CKV_AZURE_212: a staging slot runs one instance between releases; the production slot carries the load
  parent: site
  name: 'staging'
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
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: 'DOCKER|${image}'
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: identityClientId
      alwaysOn: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      remoteDebuggingEnabled: false
      httpLoggingEnabled: true
      detailedErrorLoggingEnabled: true
      requestTracingEnabled: true
      healthCheckPath: healthCheckPath
      appSettings: appSettings
    }
  }
}

output hostName string = staging.properties.defaultHostName
