/** The local control socket: protocol, server (daemon side), client (CLI and DRBD handler side), status. */
export { controlRequest, type ControlClientError, type ControlClientOptions } from './client.js';
export {
  CONTROL_PROTOCOL_VERSION,
  DEFAULT_CONTROL_SOCKET,
  formatRequestLine,
  formatResponseLine,
  MAX_REQUEST_BYTES,
  MAX_RESPONSE_BYTES,
  parseResponseLine,
  type ControlErrorBody,
  type ControlOp,
  type ControlRequest,
  type ControlResponse,
  type ControlResults,
  type FencePeerResult,
  type NotifyTestResult,
  type OperationReport,
  type RequestId,
  type RequestOf,
  type StepReport,
} from './protocol.js';
export { parseRequestLine, type ParsedRequest } from './request-schema.js';
export {
  handleControlRequest,
  startControlServer,
  type ControlHandlers,
  type ControlServer,
  type ControlServerOptions,
  type HandlerOutcome,
} from './server.js';
export type {
  DecisionSummary,
  LinkStatus,
  OpenAlert,
  ResourceStatus,
  StatusSnapshot,
} from './status-snapshot.js';
export { formatTable, humanDuration, renderStatus } from './render-status.js';
export {
  callDaemon,
  clientErrorExit,
  renderOperationReport,
  reportFailed,
  resolveControlSocket,
  type ControlCommandOptions,
} from './cli-support.js';
