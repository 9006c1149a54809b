import { z } from 'zod';
import { CONNECTION_STATES, DISK_STATES, ROLES } from '../drbd/types.js';
import type { NodeReport, ResourceReport } from './node-report.js';
import type { PeerOperation, PeerReply } from './peer-protocol.js';

/**
 * zod schemas for the JSON bodies carried inside authenticated frames. Used only after the MAC has
 * been verified; `safeParse` keeps decoding total (never throws).
 *
 * Report objects strip unknown keys instead of rejecting them: a newer peer that adds an optional
 * field to NodeReport (a rolling upgrade) must not look unreachable to an older one. Incompatible
 * changes bump WIRE_VERSION instead.
 */

/** Bounded string for names on the wire (resource names, reason codes, node names). */
const wireName = z.string().min(1).max(128);

export const resourceReportSchema = z.object({
  name: wireName,
  role: z.enum(ROLES),
  disk: z.enum(DISK_STATES),
  cstate: z.enum(CONNECTION_STATES),
  peerDisk: z.enum(DISK_STATES),
  mounted: z.boolean(),
  servicesUp: z.boolean(),
  splitBrain: z.boolean(),
  currentUuid: z.string().max(64).nullable(),
  lastPrimary: z.string().max(128).nullable().optional(),
});

const nodeReportObject = z.object({
  resources: z.array(resourceReportSchema).max(64),
  standby: z.boolean(),
  maintenance: z.boolean(),
  health: z.enum(['starting', 'ok', 'degraded']),
});
export const nodeReportSchema: z.ZodType<NodeReport> = nodeReportObject;

// Compile-time guard: a field added to NodeReport or ResourceReport without an entry here would be
// silently stripped on receipt. This stops typechecking until the schema knows the new key.
type MissingResourceKeys = Exclude<keyof ResourceReport, keyof z.infer<typeof resourceReportSchema>>;
type MissingNodeKeys = Exclude<keyof NodeReport, keyof z.infer<typeof nodeReportObject>>;
export const SCHEMA_COVERS_REPORT: [MissingResourceKeys | MissingNodeKeys] extends [never] ? true : never =
  true;

export const heartbeatBodySchema = z.object({ report: nodeReportSchema.nullable() });

export const peerOperationSchema: z.ZodType<PeerOperation> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('outdate'), resource: wireName }).strict(),
  z.object({ kind: z.literal('prepare-handover'), resource: wireName }).strict(),
  z.object({ kind: z.literal('takeover'), resource: wireName }).strict(),
  z.object({ kind: z.literal('release'), resource: wireName }).strict(),
  z.object({ kind: z.literal('state-query') }).strict(),
]);

export const requestBodySchema = z
  .object({ id: z.string().min(1).max(64), op: peerOperationSchema })
  .strict();

export const peerReplySchema: z.ZodType<PeerReply> = z.object({
  outcome: z.enum(['done', 'refused', 'failed']),
  code: wireName,
  message: z.string().max(1024),
  report: nodeReportSchema.nullable(),
});

export const responseBodySchema = z
  .object({ id: z.string().min(1).max(64), reply: peerReplySchema })
  .strict();
