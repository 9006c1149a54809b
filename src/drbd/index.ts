/** Public surface of the DRBD layer: parsers, reducer and view (pure); event source and commands (effects). */
export * from './types.js';
export * from './view.js';
export * from './parse-error.js';
export * from './state-names.js';
export * from './proc-drbd.js';
export * from './events2.js';
export * from './reducer.js';
export * from './dump-xml.js';
export * from './commands.js';
export * from './classify.js';
export * from './runner.js';
export * from './event-source.js';
export * from './config-check.js';
export * from './inspect.js';
export * from './config-warning-provider.js';
