// Minimal types for the parts of johnny-five 2.1 this package uses (it ships none).
declare module 'johnny-five' {
  import type { EventEmitter } from 'node:events';
  export interface BoardOptions {
    io?: unknown;
    repl?: boolean;
    debug?: boolean;
    sigint?: boolean;
    timeout?: number;
  }
  export class Board extends EventEmitter {
    constructor(opts: BoardOptions);
    readonly isReady: boolean;
    readonly io: EventEmitter;
  }
  export interface ButtonOptions {
    pin: number | string;
    board?: Board;
    invert?: boolean;
    isPullup?: boolean;
    holdtime?: number;
  }
  export class Button extends EventEmitter {
    constructor(opts: ButtonOptions);
  }
  const five: { Board: typeof Board; Button: typeof Button };
  export default five;
}
