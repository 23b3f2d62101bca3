/** Sends commands to a device's commands topic (QoS 1), each checked against the protocol schema. */
import { randomUUID } from 'node:crypto';
import { assertValid, buildTopic, Command, type CommandOf, type CommandType } from '@hcp/protocol';
import type { Clock } from '../clock.js';

export interface Publisher {
  publish(topic: string, payload: string | Buffer): Promise<void>;
}

export class CommandSender {
  constructor(private readonly link: Publisher, private readonly clock: Clock) {}

  build<T extends CommandType>(type: T, args: CommandOf<T>['args']): CommandOf<T> {
    const cmd = { v: 1, id: randomUUID(), at: new Date(this.clock.now()).toISOString(), type, args };
    return assertValid(Command, cmd, `command ${type}`) as CommandOf<T>;
  }

  async send<T extends CommandType>(hallId: string, deviceId: string, type: T, args: CommandOf<T>['args']): Promise<CommandOf<T>> {
    const cmd = this.build(type, args);
    await this.link.publish(buildTopic(hallId, deviceId, 'commands'), JSON.stringify(cmd));
    return cmd;
  }
}
