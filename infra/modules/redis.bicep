// Azure Cache for Redis: the Celery broker and the shared quota counters. TLS only, and no eviction: an
// evicted key would silently drop a queued job's message.
param name string
param location string
param tags object
@allowed(['Basic', 'Standard', 'Premium'])
param skuName string = 'Standard'
@allowed(['C', 'P'])
param family string = 'C'
param capacity int = 1

resource redis 'Microsoft.Cache/redis@2023-08-01' = {
  // checkov:skip=CKV_AZURE_89: the App Service apps reach Redis over its public endpoint (no VNet integration); TLS 1.2 only and every connection needs the access key
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: skuName
      family: family
      capacity: capacity
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    redisConfiguration: {
      'maxmemory-policy': 'noeviction'
    }
  }
}

output hostName string = redis.properties.hostName
output sslPort int = redis.properties.sslPort
output id string = redis.id
