import { describe, expect, it } from 'vitest';
import type { InputEvent, ScreenFrame, ScreenView } from '@hcp/device';
import { seededRandom } from '../../src/business/random.js';
import { CitizenInput, CitizenScreen, type Timers } from '../../src/fleet/citizen.js';

/** Timers run by hand: `fire()` runs whatever is due next. */
function manualTimers(): Timers & { fire(): boolean; pending(): number } {
  const queue = new Map<number, () => void>();
  let n = 0;
  return {
    setTimeout: (fn) => (queue.set(++n, fn), n),
    clearTimeout: (h) => void queue.delete(h as number),
    fire: () => {
      const [id, fn] = [...queue.entries()][0] ?? [];
      if (id === undefined || !fn) return false;
      queue.delete(id);
      fn();
      return true;
    },
    pending: () => queue.size,
  };
}

const frame = (view: ScreenView, seq: number): ScreenFrame => ({ view, offline: false, banner: null, seq });
const prompt: ScreenView = { kind: 'prompt', staff: null, item: null, caseCount: 1, rateUrl: null, timeoutS: 60 };

describe('simulated citizen', () => {
  it('presses again when the device ignored the star (prompt still showing), not when it moved on', async () => {
    const timers = manualTimers();
    const input = new CitizenInput();
    await input.start();
    const screen = new CitizenScreen(input, { random: seededRandom(1), timers, weights: { 5: 1, 4: 0, 3: 0, 2: 0, 1: 0 }, thinkMs: [10, 10], sessions: 'business', onThanks: () => undefined });
    await screen.start();
    const presses: InputEvent[] = [];
    let accept = false;
    let seq = 0;
    // A device that ignores presses until `accept`, then shows thanks (rendered inside the press, as the runtime does).
    input.onInput((e) => {
      presses.push(e);
      if (accept) screen.render(frame({ kind: 'thanks', level: 5, ratingId: 'r1' }, ++seq));
    });
    screen.render(frame(prompt, ++seq));
    expect(timers.fire()).toBe(true); // first press: ignored
    expect(presses).toHaveLength(1);
    expect(timers.pending()).toBe(1); // the citizen will try again
    accept = true;
    expect(timers.fire()).toBe(true);
    expect(presses).toEqual([{ kind: 'star', level: 5 }, { kind: 'star', level: 5 }]);
    expect(timers.pending()).toBe(0); // thanks: nothing more to press
  });

  it('a quiesced citizen does not retry', async () => {
    const timers = manualTimers();
    const input = new CitizenInput();
    await input.start();
    const screen = new CitizenScreen(input, { random: seededRandom(2), timers, weights: { 5: 1, 4: 0, 3: 0, 2: 0, 1: 0 }, thinkMs: [10, 10], sessions: 'business', onThanks: () => undefined });
    await screen.start();
    const presses: InputEvent[] = [];
    input.onInput((e) => {
      presses.push(e);
      screen.quiesce(); // the fleet quiets the citizens while this press is being handled
    });
    screen.render(frame(prompt, 1));
    timers.fire();
    expect(presses).toHaveLength(1);
    expect(timers.pending()).toBe(0);
  });
});
