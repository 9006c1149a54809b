/** CliExit lives in src/common (the control client throws it too); re-exported for the commands. */
export { CliExit, usageError } from '../common/cli-exit.js';
