/**
 * `npm start`: runs a whole hall on one machine. Grows with the project; today it checks the
 * protocol package and says which parts exist.
 */
import { PROTOCOL_VERSION, ERROR_CODES } from '@hcp/protocol';

function main(): void {
  if (process.argv.includes('--help')) {
    console.log('usage: npm start\n  runs the hub with its embedded broker, the simulators and a device fleet on this machine');
    return;
  }
  console.log(`hcp protocol v${PROTOCOL_VERSION} ready (${ERROR_CODES.length} error codes).`);
  console.log('The hub, device runtime and simulators are not built yet; nothing else to start.');
}

main();
