import { describe } from 'vitest';
import { ingestSuite } from './ingest-suite.js';

// Mosquitto here accepts anonymous clients, so this suite proves ingest and dedupe through an
// external broker; ACLs are enforced by the embedded broker (broker/embedded.test.ts) and the
// HTTP hooks an external broker calls (routes/mqtt-hooks.test.ts).
describe.skipIf(!process.env.HCP_TEST_MQTT_URL)('ingest through an external broker (needs Mosquitto at HCP_TEST_MQTT_URL)', () => {
  // a hall id of its own: the shared broker may carry other hubs' and tests' traffic
  ingestSuite({ mqttUrl: process.env.HCP_TEST_MQTT_URL, hallId: `t-${process.pid}-${Date.now().toString(36)}` });
});
