using '../main.bicep'

// The showcase environment. Secrets come from the environment of whoever deploys (a pipeline reads them
// from the workopti-showcase variable group), never from this file; so do the image tags now running
// (docs/cicd-runbook.md, "Infrastructure").
param environmentName = 'showcase'

param apiImageTag = readEnvironmentVariable('WORKOPTI_API_IMAGE_TAG', 'showcase-py-bootstrap')
param workerImageTag = readEnvironmentVariable('WORKOPTI_WORKER_IMAGE_TAG', 'showcase-worker-bootstrap')
param frontendImageTag = readEnvironmentVariable('WORKOPTI_FRONTEND_IMAGE_TAG', 'showcase-frontend-bootstrap')

param webPlanSku = 'P1v3'
param webPlanCapacity = 1
param workerPlanSku = 'P1v3'
param workerPlanCapacity = 2
param zoneRedundant = false

param postgresSkuName = 'Standard_D2ds_v5'
param postgresTier = 'GeneralPurpose'
param postgresStorageSizeGB = 64
param postgresBackupRetentionDays = 14
param postgresGeoRedundantBackup = 'Disabled'
param postgresHighAvailability = 'Disabled'
param postgresAdministratorPassword = readEnvironmentVariable('WORKOPTI_POSTGRES_PASSWORD')
param authSecret = readEnvironmentVariable('WORKOPTI_AUTH_SECRET')

param redisSkuName = 'Standard'
param redisFamily = 'C'
param redisCapacity = 1

param storageSkuName = 'Standard_ZRS'
param frontDoorSku = 'Standard_AzureFrontDoor'

param clerkFrontendApi = readEnvironmentVariable('WORKOPTI_CLERK_FRONTEND_API')
param clerkPublishableKey = readEnvironmentVariable('WORKOPTI_CLERK_PUBLISHABLE_KEY')
param documentIntelligenceEndpoint = readEnvironmentVariable('WORKOPTI_DOCUMENT_INTELLIGENCE_ENDPOINT')
param openAiEndpoint = readEnvironmentVariable('WORKOPTI_OPENAI_ENDPOINT')
param openAiEmbeddingDeployment = 'text-embedding-3-small'
param openAiChatDeployment = 'gpt-4o-mini'
