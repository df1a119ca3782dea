import v8 from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring for a serving process. V8 allocates objects straight
 * into the old generation when most objects from the same allocation site survived earlier
 * collections. A server's first seconds under load teach it that: cold answers are read from the
 * database and every request is held across a query. Once the answer cache answers in
 * microseconds, Node's HTTP request and response objects are still born old. Each young
 * collection then cost ~6 ms instead of ~0.6, the old generation was collected twice a second,
 * and cached throughput fell by a third in more than half of the measured starts
 * (docs/benchmarks.md). Flags set once the process runs apply to the collections that follow.
 */
export function tuneForServing(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
