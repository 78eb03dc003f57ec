// Blob storage for originals and provider output. The apps authenticate with their managed identity
// (AZURE_STORAGE_ACCOUNT_URL), so shared keys are switched off; download links are user-delegation SAS.
param name string
param location string
param tags object
param containerName string = 'workopti'
@description('Principal that reads and writes blobs (the apps\' managed identity).')
param dataPrincipalId string
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS'])
param skuName string = 'Standard_ZRS'
param softDeleteDays int = 14

var blobDataContributorRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_59: the App Service apps reach storage over its public endpoint (no VNet integration); every request needs an Entra ID token, anonymous and shared-key access are off
  // checkov:skip=CKV_AZURE_35: the default network rule allows, for the same reason as CKV_AZURE_59
  // checkov:skip=CKV_AZURE_206: replication is chosen per environment (skuName), zone-redundant by default
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

resource dataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, dataPrincipalId, blobDataContributorRoleId)
  scope: account
  properties: {
    roleDefinitionId: blobDataContributorRoleId
    principalId: dataPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output accountUrl string = account.properties.primaryEndpoints.blob
output containerName string = container.name
