/**
 * The hub's link to its embedded broker, in-process: the same calls as HubLink (link.ts), without
 * an MQTT connection. Incoming device messages go straight from aedes' emitter to the inbox;
 * acks and commands are published by the broker itself.
 *
 * Why not the loopback client: every rating and every ack crossed one TCP connection twice more
 * (broker → hub client → PUBACK, hub client → broker → PUBACK) and the hub's persistent session
 * made aedes queue and clear each rating in its session store; on the 2-core bench that path
 * capped the whole hall below what a do-nothing echo client reaches (bench/ingest.ts).
 */
import { DEVICE_PUBLISHES, hallFilter } from '@hcp/protocol';
import type { EmbeddedBroker } from './embedded.js';
import type { MessageSink } from './link.js';

export class LocalLink {
  private unsubscribe: (() => Promise<void>)[] = [];
  private started = false;

  constructor(
    private readonly broker: EmbeddedBroker,
    /** The hub serves one hall and takes that hall's topics only, as HubLink does. */
    private readonly hallId: string,
    private readonly sink: MessageSink,
  ) {}

  get connected(): boolean {
    return this.started;
  }

  async start(): Promise<void> {
    for (const kind of DEVICE_PUBLISHES) this.unsubscribe.push(await this.broker.subscribe(hallFilter(this.hallId, kind), this.sink));
    this.started = true;
  }

  async publish(topic: string, payload: string | Buffer, opts: { retain?: boolean } = {}): Promise<void> {
    if (!this.started) throw new Error('hub link not started');
    await this.broker.publish(topic, payload, opts.retain ?? false);
  }

  async stop(): Promise<void> {
    this.started = false;
    const subs = this.unsubscribe.splice(0);
    await Promise.all(subs.map((u) => u()));
  }
}
