/**
 * @hcp/device: the counter rating device runtime. The simulator fleet builds devices in-process with
 * `createDevice` (same code as the CLI, hardware injected).
 */
export { DeviceRuntime, type DeviceRuntimeOptions, type DeviceHealth } from './runtime.js';
export { main as cliMain, prepare as cliPrepare, HELP } from './cli.js';
export { loadConfig, readConfigFile } from './config/load.js';
export { DeviceConfigSchema, type DeviceConfig, type HidAction } from './config/schema.js';
export type { InputDriver, InputEvent, InputStatus } from './inputs/types.js';
export { InputEvents, NoInput } from './inputs/types.js';
export { SerialPanelInput, type SerialPortLike, type OpenSerial } from './inputs/serial.js';
export { GpioInput, type IoPlugin, type IoFactory } from './inputs/gpio.js';
export { HidInput, type HidDeviceLike, type HidOpen } from './inputs/hid.js';
export type { Screen, ScreenFrame, ScreenView } from './screen/view.js';
export { TerminalScreen, renderText } from './screen/terminal.js';
export { Outbox } from './outbox/outbox.js';
export { IdentityStore, type StoredIdentity } from './provisioning/identity.js';
export { systemClock, systemRandom, type Clock } from './time/clock.js';
export { transition, initialMachine, type SessionState, type SessionEvent, type Machine } from './session/machine.js';

import { loadConfig } from './config/load.js';
import { DeviceRuntime, type DeviceRuntimeOptions } from './runtime.js';

/** Builds and starts a device runtime in-process from a raw config object and a data dir. */
export async function createDevice(rawConfig: unknown, dataDir: string, extra: Omit<DeviceRuntimeOptions, 'config' | 'dataDir'> = {}): Promise<DeviceRuntime> {
  const rt = new DeviceRuntime({ ...extra, config: loadConfig(rawConfig), dataDir });
  await rt.start();
  return rt;
}
