// The container registry every environment pulls from (workopti.azurecr.io), deployed once:
//   az deployment group create -g rg-workopti-shared -f infra/registry.bicep -p infra/params/registry.bicepparam
targetScope = 'resourceGroup'

param location string = resourceGroup().location
param registryName string = 'workopti'
@allowed(['Basic', 'Standard', 'Premium'])
param sku string = 'Premium'

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    name: registryName
    location: location
    tags: {
      product: 'workopti'
      environment: 'shared'
    }
    sku: sku
  }
}

output loginServer string = registry.outputs.loginServer
