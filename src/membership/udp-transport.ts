import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { err, ok } from '../common/result.js';
import { sentinelError } from '../common/errors.js';
import type { LinkSocket, Transport } from './transport.js';

/**
 * The production transport: one UDP socket per link, bound to this node's address of the link, sending
 * to the peer's address of the same link.
 */
export const udpTransport: Transport = {
  open(index, link, handlers) {
    return new Promise((resolve) => {
      const socket: Socket = createSocket({
        type: isIPv6(link.localAddress) ? 'udp6' : 'udp4',
        reuseAddr: false,
      });
      let bound = false;
      socket.on('error', (e) => {
        if (!bound) {
          socket.close();
          resolve(
            err(
              sentinelError(
                'E_CONFIG',
                `cannot bind heartbeat link ${index} to ${link.localAddress}:${link.localPort}: ${e.message}`,
                e,
              ),
            ),
          );
        } else handlers.onSendError(e);
      });
      socket.on('message', (msg) => handlers.onDatagram(msg));
      socket.bind({ address: link.localAddress, port: link.localPort, exclusive: true }, () => {
        bound = true;
        const linkSocket: LinkSocket = {
          send(datagram) {
            try {
              socket.send(datagram, link.peerPort, link.peerAddress, (e) => {
                if (e) handlers.onSendError(e);
              });
            } catch (e) {
              // dgram throws synchronously once the socket is closed.
              handlers.onSendError(e);
            }
          },
          close: () => new Promise<void>((done) => socket.close(() => done())),
        };
        resolve(ok(linkSocket));
      });
    });
  },
};
