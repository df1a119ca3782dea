/**
 * A circuit breaker: after `maxFails` consecutive failures the uplink is not asked for
 * `openMs`; then one request is let through (half-open), and its outcome closes or reopens it.
 */
export class CircuitBreaker {
  private fails = 0;
  private openUntil = 0;
  private probing = false;
  /** `now()` of the last success; null before the first. */
  lastSuccessAt: number | null = null;

  constructor(
    private readonly maxFails: number,
    private readonly openMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether a request may go out now (the half-open probe takes the only slot). */
  allow(): boolean {
    if (this.fails < this.maxFails) return true;
    if (this.now() < this.openUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.fails = 0;
    this.lastSuccessAt = this.now();
    this.probing = false;
  }

  failure(): void {
    this.fails++;
    this.probing = false;
    if (this.fails >= this.maxFails) this.openUntil = this.now() + this.openMs;
  }

  /** Failures in a row since the last success. */
  get consecutiveFailures(): number {
    return this.fails;
  }

  get open(): boolean {
    return this.fails >= this.maxFails && this.now() < this.openUntil;
  }
}
