/** The acking peer in its own process (the hub's stand-in must not share the device's event loop). */
import { AckPeer } from '@hcp/simulator/ack-peer/ack-peer';

const [url, deviceId, key] = process.argv.slice(2);
if (!url || !deviceId || !key) throw new Error('usage: peer-child URL DEVICE_ID KEY');
const peer = new AckPeer({ url, keys: new Map([[deviceId, key]]), timeSyncOnOnline: false });
await peer.start();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify(peer.stats)}\n`);
  void peer.stop().then(() => process.exit(0));
});
