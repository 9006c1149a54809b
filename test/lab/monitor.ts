import net from 'node:net';

/**
 * Sends one HMP command to a QEMU monitor on a unix socket and returns its output (the text between
 * the command and the next `(qemu) ` prompt). Fails after `timeoutMs`.
 */
export function monitorCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(socketPath);
    let buf = '';
    let sent = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`lab: monitor ${socketPath} did not answer '${command}'`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('data', (d: string) => {
      buf += d;
      if (!sent && buf.includes('(qemu) ')) {
        sent = true;
        buf = '';
        s.write(`${command}\n`);
        return;
      }
      if (sent && buf.includes('(qemu) ')) {
        clearTimeout(timer);
        s.end();
        // HMP echoes the command line (with terminal escapes); drop it and the prompt.
        // eslint-disable-next-line no-control-regex -- ANSI escapes from the HMP line editor
        const lines = buf.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split(/\r?\n/);
        resolve(
          lines
            .slice(1)
            .filter((l) => !l.startsWith('(qemu)'))
            .join('\n')
            .trim(),
        );
      }
    });
  });
}
