// The secrets this deployment can derive (connection URLs with their credentials), written to Key Vault.
// The apps reach Document Intelligence and Azure OpenAI with their managed identity, so no provider key
// is stored. Each secret expires after `expiresAt`; every deployment renews them.
param keyVaultName string
param redisName string
param postgresFqdn string
param databaseName string
param administratorLogin string
@secure()
param administratorPassword string
@secure()
param authSecret string
@description('Defaults to a year after the deployment, so every deployment pushes the expiry forward.')
param expiresAt string = dateTimeAdd(utcNow(), 'P1Y')

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource redis 'Microsoft.Cache/redis@2023-08-01' existing = {
  name: redisName
}

resource databaseUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    contentType: 'text/plain'
    value: 'postgresql://${uriComponent(administratorLogin)}:${uriComponent(administratorPassword)}@${postgresFqdn}:5432/${databaseName}?sslmode=require'
    attributes: {
      enabled: true
      exp: dateTimeToEpoch(expiresAt)
    }
  }
}

resource redisUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-url'
  properties: {
    contentType: 'text/plain'
    value: 'rediss://:${uriComponent(redis.listKeys().primaryKey)}@${redis.properties.hostName}:${redis.properties.sslPort}/0?ssl_cert_reqs=required'
    attributes: {
      enabled: true
      exp: dateTimeToEpoch(expiresAt)
    }
  }
}

resource authSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'auth-secret'
  properties: {
    contentType: 'text/plain'
    value: authSecret
    attributes: {
      enabled: true
      exp: dateTimeToEpoch(expiresAt)
    }
  }
}

output databaseUrlSecretUri string = databaseUrl.properties.secretUri
output redisUrlSecretUri string = redisUrl.properties.secretUri
output authSecretUri string = authSecretValue.properties.secretUri
