using '../main.bicep'

// The prod environment. Secrets come from the environment of whoever deploys (a pipeline reads them
// from the workopti-prod variable group), never from this file; so do the image tags now running
// (docs/cicd-runbook.md, "Infrastructure").
param environmentName = 'prod'

param apiImageTag = readEnvironmentVariable('WORKOPTI_API_IMAGE_TAG', 'prod-py-bootstrap')
param workerImageTag = readEnvironmentVariable('WORKOPTI_WORKER_IMAGE_TAG', 'prod-worker-bootstrap')
param frontendImageTag = readEnvironmentVariable('WORKOPTI_FRONTEND_IMAGE_TAG', 'prod-frontend-bootstrap')

param webPlanSku = 'P1v3'
param webPlanCapacity = 3
param workerPlanSku = 'P2v3'
param workerPlanCapacity = 3
param zoneRedundant = true

param postgresSkuName = 'Standard_D4ds_v5'
param postgresTier = 'GeneralPurpose'
param postgresStorageSizeGB = 128
param postgresBackupRetentionDays = 35
param postgresGeoRedundantBackup = 'Enabled'
param postgresHighAvailability = 'ZoneRedundant'
param postgresAdministratorPassword = readEnvironmentVariable('WORKOPTI_POSTGRES_PASSWORD')
param authSecret = readEnvironmentVariable('WORKOPTI_AUTH_SECRET')

param redisSkuName = 'Standard'
param redisFamily = 'C'
param redisCapacity = 2

param storageSkuName = 'Standard_GZRS'
param frontDoorSku = 'Premium_AzureFrontDoor'

param clerkFrontendApi = readEnvironmentVariable('WORKOPTI_CLERK_FRONTEND_API')
param clerkPublishableKey = readEnvironmentVariable('WORKOPTI_CLERK_PUBLISHABLE_KEY')
param documentIntelligenceEndpoint = readEnvironmentVariable('WORKOPTI_DOCUMENT_INTELLIGENCE_ENDPOINT')
param openAiEndpoint = readEnvironmentVariable('WORKOPTI_OPENAI_ENDPOINT')
param openAiEmbeddingDeployment = 'text-embedding-3-small'
param openAiChatDeployment = 'gpt-4o-mini'
