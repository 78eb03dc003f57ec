// One WorkOpti environment (dev, showcase, prod) in one resource group. The container registry is shared
// by every environment and deployed once with registry.bicep. Deploy:
//   az deployment group create -g rg-workopti-dev -f infra/main.bicep -p infra/params/dev.bicepparam
targetScope = 'resourceGroup'

@allowed(['dev', 'showcase', 'prod'])
param environmentName string
param location string = resourceGroup().location
param registryName string = 'workopti'
param registryResourceGroup string = 'rg-workopti-shared'

@description('Image tags to (re)deploy; pass the running ones when redeploying infra (docs/cicd-runbook.md).')
param apiImageTag string
param workerImageTag string
param frontendImageTag string

param webPlanSku string = 'P1v3'
param webPlanCapacity int = 2
param workerPlanSku string = 'P1v3'
param workerPlanCapacity int = 2
param zoneRedundant bool = false

param postgresSkuName string = 'Standard_D2ds_v5'
@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param postgresTier string = 'GeneralPurpose'
param postgresStorageSizeGB int = 64
param postgresBackupRetentionDays int = 35
@allowed(['Enabled', 'Disabled'])
param postgresGeoRedundantBackup string = 'Enabled'
@allowed(['Disabled', 'ZoneRedundant', 'SameZone'])
param postgresHighAvailability string = 'ZoneRedundant'
param postgresAdministratorLogin string = 'workopti'
@secure()
param postgresAdministratorPassword string
@secure()
@description('Signs dev tokens; required outside local even with Clerk sign-in.')
param authSecret string

@allowed(['Basic', 'Standard', 'Premium'])
param redisSkuName string = 'Standard'
@allowed(['C', 'P'])
param redisFamily string = 'C'
param redisCapacity int = 1

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS'])
param storageSkuName string = 'Standard_ZRS'
param storageAccountName string = 'stworkopti${environmentName}'

@allowed(['Standard_AzureFrontDoor', 'Premium_AzureFrontDoor'])
param frontDoorSku string = 'Premium_AzureFrontDoor'

@description('Clerk Frontend API host (e.g. clerk.example.com); sign-in for the API and the web app.')
param clerkFrontendApi string
@secure()
@description('Clerk publishable key for the web app (public by design, kept out of the parameter files).')
param clerkPublishableKey string

param documentIntelligenceEndpoint string
param openAiEndpoint string
param openAiEmbeddingDeployment string
param openAiChatDeployment string

var namePrefix = 'workopti-${environmentName}'
var tags = {
  product: 'workopti'
  environment: environmentName
}
var registryServer = '${registryName}.azurecr.io'
var frontendAppName = '${namePrefix}-web'
var apiAppName = '${namePrefix}-api'
var workerKinds = [
  { name: 'ocr', queue: 'ocr', beat: false, instances: 0, pool: '' }
  { name: 'embed', queue: 'embed', beat: false, instances: 0, pool: '' }
  { name: 'ai', queue: 'ai', beat: false, instances: 0, pool: '' }
  // Webhook deliveries wait on other systems' answers, not on the CPU: threads, several at once.
  { name: 'webhooks', queue: 'webhooks', beat: false, instances: 0, pool: ' -P threads -c 8' }
  // The sweeper's queue, with beat inside: exactly one instance, or every sweep runs twice.
  { name: 'maintenance', queue: 'maintenance', beat: true, instances: 1, pool: '' }
]

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${namePrefix}-apps'
    location: location
    tags: tags
  }
}

module acrPull 'modules/acr-pull.bicep' = {
  name: 'acr-pull-${environmentName}'
  scope: resourceGroup(registryResourceGroup)
  params: {
    registryName: registryName
    principalId: identity.outputs.principalId
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    dataPrincipalId: identity.outputs.principalId
    skuName: storageSkuName
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    name: 'redis-${namePrefix}'
    location: location
    tags: tags
    skuName: redisSkuName
    family: redisFamily
    capacity: redisCapacity
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    name: 'psql-${namePrefix}'
    location: location
    tags: tags
    administratorLogin: postgresAdministratorLogin
    administratorPassword: postgresAdministratorPassword
    skuName: postgresSkuName
    tier: postgresTier
    storageSizeGB: postgresStorageSizeGB
    backupRetentionDays: postgresBackupRetentionDays
    geoRedundantBackup: postgresGeoRedundantBackup
    highAvailability: postgresHighAvailability
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: 'kv-${namePrefix}'
    location: location
    tags: tags
    readerPrincipalId: identity.outputs.principalId
  }
}

module secrets 'modules/secrets.bicep' = {
  name: 'secrets'
  params: {
    keyVaultName: keyVault.outputs.name
    redisName: 'redis-${namePrefix}'
    postgresFqdn: postgres.outputs.fqdn
    databaseName: postgres.outputs.databaseName
    administratorLogin: postgresAdministratorLogin
    administratorPassword: postgresAdministratorPassword
    authSecret: authSecret
  }
  dependsOn: [redis]
}

module frontDoor 'modules/frontdoor.bicep' = {
  name: 'frontdoor'
  params: {
    namePrefix: namePrefix
    tags: tags
    originHostName: '${frontendAppName}.azurewebsites.net'
    sku: frontDoorSku
  }
}

module webPlan 'modules/plan.bicep' = {
  name: 'web-plan'
  params: {
    name: 'asp-${namePrefix}-web'
    location: location
    tags: tags
    skuName: webPlanSku
    capacity: webPlanCapacity
    zoneRedundant: zoneRedundant
  }
}

module workerPlan 'modules/plan.bicep' = {
  name: 'worker-plan'
  params: {
    name: 'asp-${namePrefix}-workers'
    location: location
    tags: tags
    skuName: workerPlanSku
    capacity: workerPlanCapacity
    zoneRedundant: zoneRedundant
    perSiteScaling: true
  }
}

var keyVaultUri = keyVault.outputs.uri
var webOrigin = 'https://${frontDoor.outputs.hostName}'
var pythonSettings = [
  { name: 'ENVIRONMENT', value: environmentName }
  { name: 'LOG_FORMAT', value: 'json' }
  { name: 'DATABASE_URL', value: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.databaseUrlSecretUri})' }
  { name: 'REDIS_URL', value: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.redisUrlSecretUri})' }
  { name: 'AUTH_SECRET', value: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.authSecretUri})' }
  { name: 'AZURE_STORAGE_ACCOUNT_URL', value: storage.outputs.accountUrl }
  { name: 'AZURE_STORAGE_CONTAINER', value: storage.outputs.containerName }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: monitoring.outputs.connectionString }
  { name: 'OCR_PROVIDER', value: 'azure' }
  { name: 'AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT', value: documentIntelligenceEndpoint }
  { name: 'EMBEDDINGS_PROVIDER', value: 'azure_openai' }
  { name: 'LLM_PROVIDER', value: 'azure_openai' }
  { name: 'AZURE_OPENAI_ENDPOINT', value: openAiEndpoint }
  { name: 'AZURE_OPENAI_EMBEDDING_DEPLOYMENT', value: openAiEmbeddingDeployment }
  { name: 'AZURE_OPENAI_CHAT_DEPLOYMENT', value: openAiChatDeployment }
  { name: 'AUTH_MODE', value: 'clerk' }
  { name: 'CLERK_FRONTEND_API', value: clerkFrontendApi }
  { name: 'CLERK_AUTHORIZED_PARTIES', value: webOrigin }
]

module api 'modules/webapp.bicep' = {
  name: 'app-api'
  params: {
    name: apiAppName
    location: location
    tags: tags
    planId: webPlan.outputs.id
    image: '${registryServer}/workopti:${apiImageTag}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    appSettings: concat(pythonSettings, [
      { name: 'CORS_ALLOWED_ORIGINS', value: webOrigin }
    ])
    port: 8000
    healthCheckPath: '/health/ready'
  }
  dependsOn: [acrPull, keyVault]
}

module apiStaging 'modules/staging-slot.bicep' = {
  name: 'app-api-staging'
  params: {
    siteName: api.outputs.name
    location: location
    tags: tags
    planId: webPlan.outputs.id
    image: '${registryServer}/workopti:${apiImageTag}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    appSettings: api.outputs.appSettings
    healthCheckPath: '/health/ready'
  }
}

// A worker serves no HTTP, but App Service restarts a container that never answers its pings: the
// command also serves a one-line page (made in the worker image) beside Celery, which stays the
// container's main process, so the container still ends when the worker does.
module workers 'modules/webapp.bicep' = [for kind in workerKinds: {
  name: 'app-worker-${kind.name}'
  params: {
    name: '${namePrefix}-worker-${kind.name}'
    location: location
    tags: tags
    planId: workerPlan.outputs.id
    image: '${registryServer}/workopti:${workerImageTag}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    appSettings: pythonSettings
    port: 8000
    commandLine: 'sh -c "python -m http.server 8000 --directory /srv/probe >/dev/null 2>&1 & exec celery -A worker.app worker -Q ${kind.queue} -n ${kind.queue}@%h --loglevel INFO --without-mingle${kind.pool}${kind.beat ? ' -B' : ''}"'
    publicAccess: false
    instances: kind.instances
  }
  dependsOn: [acrPull, keyVault]
}]

module frontend 'modules/webapp.bicep' = {
  name: 'app-web'
  params: {
    name: frontendAppName
    location: location
    tags: tags
    planId: webPlan.outputs.id
    image: '${registryServer}/workopti:${frontendImageTag}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    appSettings: [
      { name: 'VITE_APP_API_URL', value: 'https://${api.outputs.defaultHostName}' }
      { name: 'VITE_CLERK_PUBLISHABLE_KEY', value: clerkPublishableKey }
      {
        name: 'CONTENT_SECURITY_POLICY'
        value: 'default-src \'self\'; script-src \'self\' https://${clerkFrontendApi} https://challenges.cloudflare.com; style-src \'self\' \'unsafe-inline\'; img-src \'self\' data: blob: https://img.clerk.com; connect-src \'self\' https://${api.outputs.defaultHostName} https://${clerkFrontendApi}; frame-src https://challenges.cloudflare.com; worker-src \'self\' blob:; frame-ancestors \'none\'; base-uri \'self\'; form-action \'self\'; object-src \'none\''
      }
    ]
    port: 8080
    healthCheckPath: '/healthz'
    frontDoorId: frontDoor.outputs.frontDoorId
  }
  dependsOn: [acrPull]
}

output apiHostName string = api.outputs.defaultHostName
output webHostName string = frontDoor.outputs.hostName
output keyVaultName string = keyVault.outputs.name
output postgresServerName string = 'psql-${namePrefix}'
output frontDoorProfileName string = frontDoor.outputs.profileName
output frontDoorEndpointName string = frontDoor.outputs.endpointName
