import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { type BlockSource, BufferSource, FileSource } from './block-source';
import { DgramLink } from './dgram-link';
import type { RunningTransfer, TransferEngine, TransferRequest, TransferSource } from './engine';
import { transferBlocks } from './netascii';
import { TftpTransfer, type TransferStats } from './transfer';
import { enableUdpSegmentation } from './udp-segmentation';

/**
 * Transfers on Node's dgram sockets, in the worker's event loop. Works everywhere Node does; the
 * relay uses it where its own socket thread cannot run (another OS, no FFI), or when told to.
 */
export class NodeTransferEngine implements TransferEngine {
  readonly name = 'node';
  readonly threads = 0;
  private readonly transfers = new Set<TftpTransfer>();

  run(request: TransferRequest, onAcknowledged: () => void): RunningTransfer {
    let transfer: TftpTransfer | null = null;
    let evicted = false;
    const ended = this.start(request, onAcknowledged, (started) => {
      transfer = started;
      if (evicted) started.evict();
    });
    return {
      ended,
      evict: () => {
        evicted = true;
        transfer?.evict();
      },
    };
  }

  /** onCreated: the transfer exists (an eviction asked for before then applies now). */
  private async start(request: TransferRequest, onAcknowledged: () => void, onCreated: (transfer: TftpTransfer) => void): Promise<TransferStats> {
    const source = transferBlocks(openSource(request.source), request.source, request.options.windowsize);
    const socket = createSocket(isIPv6(request.client.address) ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // exclusive: a transfer socket is this process's own, even inside a cluster worker.
        socket.bind({ port: 0, address: request.localAddress, exclusive: true }, () => {
          socket.connect(request.client.port, request.client.address, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      });
    } catch (error) {
      source.close();
      socket.close();
      throw error;
    }
    const { blksize, windowsize } = request.options;
    // Lock-step sends one block at a time: nothing to segment.
    const segments = request.segmentation && windowsize > 1 ? enableUdpSegmentation(socket, blksize + 4) : 1;
    let refused: string | undefined;
    const link = new DgramLink(socket, blksize, segments, (error) => (refused ??= error.message));
    return new Promise<TransferStats>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const tickEvery = (ms: number) => {
        clearInterval(timer);
        timer = setInterval(() => transfer.tick(), ms);
      };
      const transfer = new TftpTransfer(
        link,
        source,
        request.options,
        request.retries,
        (stats) => {
          clearInterval(timer);
          this.transfers.delete(transfer);
          resolve({ ...stats, segmented: segments > 1, segmentationRefused: refused });
        },
        () => {
          if (request.firstAckIntervalMs !== request.intervalMs) tickEvery(request.intervalMs);
          onAcknowledged();
        },
      );
      this.transfers.add(transfer);
      socket.on('message', (message) => transfer.onMessage(message));
      socket.on('error', (error) => transfer.fail(error.message));
      tickEvery(request.firstAckIntervalMs);
      onCreated(transfer);
      if (!transfer.ended) transfer.start();
    });
  }

  abortAll(): void {
    for (const t of [...this.transfers]) t.abort();
  }

  async close(): Promise<void> {
    this.abortAll();
  }
}

function openSource(source: TransferSource): BlockSource {
  return 'buffer' in source ? new BufferSource(source.buffer) : new FileSource(source.fd, source.size);
}
