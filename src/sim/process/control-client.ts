/** Client side of a simulated node's control socket (DIR/ctl.sock). */
import net from 'node:net';
import { join } from 'node:path';
import { err, ok, type Result } from '../../common/result.js';
import type { ControlRequest } from './control-protocol.js';
import { LineSplitter } from '../../common/line-splitter.js';

/** Sends one request; resolves to the node's result, or an error text. `onLine` receives streamed lines. */
export function controlRequest(
  dir: string,
  req: ControlRequest,
  onLine?: (line: string) => void,
): Promise<Result<unknown, string>> {
  return new Promise((resolve) => {
    const sock = net.connect(join(dir, 'ctl.sock'));
    const lines = new LineSplitter();
    let settled = false;
    const done = (r: Result<unknown, string>) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('error', (e) => done(err(`cannot reach the simulated node at ${dir}: ${e.message}`)));
    sock.on('data', (chunk) => {
      lines.push(chunk);
      for (let line = lines.next(); line !== null; line = lines.next()) {
        try {
          const msg = JSON.parse(line) as { line?: string; result?: unknown; error?: string };
          if (typeof msg.line === 'string') onLine?.(msg.line);
          else if (msg.error !== undefined) done(err(msg.error));
          else done(ok(msg.result));
        } catch {
          done(err('bad answer from the simulated node'));
        }
      }
    });
    sock.on('close', () => done(err('the simulated node closed the connection')));
  });
}
