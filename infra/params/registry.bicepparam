using '../registry.bicep'

param registryName = 'workopti'
param sku = 'Premium'
