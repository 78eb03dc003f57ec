// A Linux App Service plan. The API and the web app share one; the workers another, sized for OCR and
// scaled on their own.
param name string
param location string
param tags object
param skuName string = 'P1v3'
@minValue(1)
param capacity int = 2
param zoneRedundant bool = false
@description('Lets each app run on fewer instances than the plan has (beat must run exactly once).')
param perSiteScaling bool = false

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy is a parameter (zoneRedundant), on where the environment pays for three instances
  name: name
  location: location
  tags: tags
  kind: 'linux'
  sku: {
    name: skuName
    capacity: capacity
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
    perSiteScaling: perSiteScaling
  }
}

output id string = plan.id
