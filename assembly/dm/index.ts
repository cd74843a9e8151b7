// Device-model data plane exports (issue: device model). Filled by that work.
