// The container registry shared by every environment (workopti.azurecr.io): an image built once is the
// image deployed, and a rollback is a redeploy of an older tag.
param name string
param location string
param tags object
@allowed(['Basic', 'Standard', 'Premium'])
param sku string = 'Premium'
@description('Days an untagged manifest is kept before the registry deletes it (Premium only).')
param untaggedRetentionDays int = 30

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: the hosted build agents push from outside any private network; pushes and pulls need an Entra ID token (admin user off, no anonymous pull)
  // checkov:skip=CKV_AZURE_163: image scanning is Defender for Containers, enabled per subscription rather than per registry
  // checkov:skip=CKV_AZURE_166: quarantine needs a scanner that releases images, which the pipelines do not run
  // checkov:skip=CKV_AZURE_233: zone redundancy doubles the cost; a lost zone delays a deployment, it does not stop the running apps
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
    policies: {
      retentionPolicy: {
        days: untaggedRetentionDays
        status: 'enabled'
      }
    }
  }
}

output id string = registry.id
output loginServer string = registry.properties.loginServer
