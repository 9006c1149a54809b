// The configuration of drbd-sentinel: one zod schema (types, defaults, validation), YAML loading
// with line/column problems, cross-field rules, warnings and check-config's warning providers.
// Everything outside src/config/ imports from here.

export {
  firstInvalidUtf8,
  loadConfigFile,
  MAX_CONFIG_BYTES,
  parseConfigText,
  type ConfigSource,
  type LoadedConfig,
  type ParseOptions,
} from './load.js';
export { openRegularFile, readRegularFile, type ReadFileRefusal } from './read-file.js';
export { MAX_SECRET_FILE_BYTES, readSecretFile } from './secret-file.js';
export { formatKeyPath, formatProblem, sortProblems, type ConfigProblem, type KeyPath } from './problem.js';
export {
  FENCING_POLICIES,
  LOG_LEVELS,
  NOTIFY_EVENT_CHOICES,
  SentinelConfigSchema,
  type ArbiterConfig,
  type ClusterConfig,
  type EtcdArbiterConfig,
  type CommandsConfig,
  type ControlConfig,
  type DrbdConfig,
  type FenceHandlerConfig,
  type FencingConfig,
  type FencingPolicy,
  type HeartbeatConfig,
  type JournalConfig,
  type LogConfig,
  type MountConfig,
  type NodeConfig,
  type NotifyConfig,
  type ResourceConfig,
  type ResourceTimeouts,
  type ScheduleConfig,
  type SentinelConfig,
  type SentinelConfigInput,
} from './schema.js';
export { ON_ISOLATION } from './arbiter-schema.js';
export type { FloatingAddress, ListenAddress } from './fields.js';
export { checkThisHostIsNode, type LocalNodes } from './local-node.js';
export { configJsonSchema, allKeyPaths } from './json-schema.js';
export { renderConfigYaml, toConfigDocument } from './render.js';
export {
  collectProviderWarnings,
  configWarningProviders,
  registerConfigWarningProvider,
  thisHostProvider,
  type ConfigWarningProvider,
  type WarningProviderContext,
} from './warning-providers.js';
