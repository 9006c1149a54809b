import { readFileSync } from 'node:fs';
import type * as Etcd3Module from 'etcd3';
import type { Etcd3, IOptions } from 'etcd3';
import type { EtcdArbiterConfig } from '../config/index.js';
import { err, ok, type Result } from '../common/result.js';

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * A policy that runs the call once: etcd3's default retries three times and opens a circuit for 5 s
 * after three failures, which would hide an etcd that is back behind our own timeout and reconnect.
 */
const once: Policy = {
  _altReturn: undefined as never,
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
  // async: etcd3's markFailed passes a function that throws and expects a rejected promise back.
  execute: async (fn) => fn({ signal: new AbortController().signal }),
};

/**
 * Tries each member once: a dead member must not fail a request another member would answer (the
 * arbiter's own timeout bounds the whole call).
 */
function eachMemberOnce(members: number, recoverable: (e: Error) => boolean): Policy {
  return {
    ...once,
    execute: async (fn) => {
      for (let i = 1; ; i++) {
        try {
          return await fn({ signal: new AbortController().signal });
        } catch (e) {
          if (i >= members || !(e instanceof Error) || !recoverable(e)) throw e;
        }
      }
    },
  };
}

/**
 * Builds an etcd3 client from the arbiter configuration (effects: reads the TLS and password files,
 * imports etcd3 on first use so a daemon without an arbiter, and every other command, never loads
 * gRPC). A file that cannot be read is an error value naming the key and the file.
 */
export async function createEtcdClient(c: EtcdArbiterConfig): Promise<Result<Etcd3, string>> {
  const files: { key: string; path: string | null }[] = [
    { key: 'tls.ca', path: c.tls?.ca ?? null },
    { key: 'tls.cert', path: c.tls?.cert ?? null },
    { key: 'tls.key', path: c.tls?.key ?? null },
    { key: 'password-file', path: c.passwordFile },
  ];
  const read = new Map<string, Buffer>();
  for (const f of files) {
    if (f.path === null) continue;
    try {
      read.set(f.key, readFileSync(f.path));
    } catch (e) {
      return err(`arbiter.etcd.${f.key}: cannot read ${f.path}: ${(e as Error).message}`);
    }
  }
  let etcd3: typeof Etcd3Module;
  try {
    etcd3 = await import('etcd3');
  } catch (e) {
    return err(`the etcd client (npm etcd3) cannot be loaded: ${(e as Error).message}`);
  }
  const ca = read.get('tls.ca');
  const cert = read.get('tls.cert');
  const key = read.get('tls.key');
  const password = read.get('password-file');
  const options: IOptions = {
    hosts: [...c.endpoints],
    dialTimeout: c.timeoutMs,
    faultHandling: { global: eachMemberOnce(c.endpoints.length, etcd3.isRecoverableError), host: () => once },
    // gRPC backs off up to 2 minutes between reconnects by default; etcd back must be seen at once.
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': Math.min(200, c.timeoutMs),
      'grpc.max_reconnect_backoff_ms': c.timeoutMs,
    },
    ...(ca === undefined
      ? {}
      : {
          credentials: {
            rootCertificate: ca,
            ...(key === undefined ? {} : { privateKey: key }),
            ...(cert === undefined ? {} : { certChain: cert }),
          },
        }),
    ...(c.user === null || password === undefined
      ? {}
      : { auth: { username: c.user, password: password.toString('utf8').trim() } }),
  };
  try {
    return ok(new etcd3.Etcd3(options));
  } catch (e) {
    return err(`the etcd client refused its options: ${(e as Error).message}`);
  }
}
