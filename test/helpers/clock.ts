import type { Clock } from '../../src/registry/registry.js';

/** A clock a test moves by hand: leases and expiries pass without waiting real seconds. */
export class ManualClock implements Clock {
  private t: number;

  constructor(start = Date.now()) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
