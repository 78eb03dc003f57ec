using '../main.bicep'

// The dev environment. Secrets come from the environment of whoever deploys (a pipeline reads them
// from the workopti-dev variable group), never from this file; so do the image tags now running
// (docs/cicd-runbook.md, "Infrastructure").
param environmentName = 'dev'

param apiImageTag = readEnvironmentVariable('WORKOPTI_API_IMAGE_TAG', 'dev-py-bootstrap')
param workerImageTag = readEnvironmentVariable('WORKOPTI_WORKER_IMAGE_TAG', 'dev-worker-bootstrap')
param frontendImageTag = readEnvironmentVariable('WORKOPTI_FRONTEND_IMAGE_TAG', 'dev-frontend-bootstrap')

param webPlanSku = 'P0v3'
param webPlanCapacity = 1
param workerPlanSku = 'P1v3'
param workerPlanCapacity = 1
param zoneRedundant = false

param postgresSkuName = 'Standard_B2ms'
param postgresTier = 'Burstable'
param postgresStorageSizeGB = 32
param postgresBackupRetentionDays = 7
param postgresGeoRedundantBackup = 'Disabled'
param postgresHighAvailability = 'Disabled'
param postgresAdministratorPassword = readEnvironmentVariable('WORKOPTI_POSTGRES_PASSWORD')
param authSecret = readEnvironmentVariable('WORKOPTI_AUTH_SECRET')

param redisSkuName = 'Basic'
param redisFamily = 'C'
param redisCapacity = 0

param storageSkuName = 'Standard_LRS'
param frontDoorSku = 'Standard_AzureFrontDoor'

param clerkFrontendApi = readEnvironmentVariable('WORKOPTI_CLERK_FRONTEND_API')
param clerkPublishableKey = readEnvironmentVariable('WORKOPTI_CLERK_PUBLISHABLE_KEY')
param documentIntelligenceEndpoint = readEnvironmentVariable('WORKOPTI_DOCUMENT_INTELLIGENCE_ENDPOINT')
param openAiEndpoint = readEnvironmentVariable('WORKOPTI_OPENAI_ENDPOINT')
param openAiEmbeddingDeployment = 'text-embedding-3-small'
param openAiChatDeployment = 'gpt-4o-mini'
