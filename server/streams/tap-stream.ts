/**
 * What a tap does to a stream passing through it (see `tapStream`). Every
 * part is optional.
 */
export interface StreamTap<T> {
  /** Sees each value, in order, before the consumer does. */
  value?(value: T): void;
  /** Turns an error of the stream (or the error a tap beneath passed on) into the one passed on. */
  error?(error: unknown): unknown;
  /** Hears once how the stream ended: undefined when it finished or its consumer left, else the error passed on. */
  end?(error: unknown): void;
  /** The stream ends with this signal's reason as soon as it aborts (the source is told to return). */
  cut?: AbortSignal;
  /** Every read of the source (and its return) runs inside this: a tracing scope. */
  within?<R>(fn: () => R): R;
}

/**
 * `source` with `tap` on it. Interceptors tap a server stream each in turn
 * (the revocation watch, the error sanitizer, the access log); a stream
 * nobody has read yet that is already tapped takes the new tap on itself
 * instead of being wrapped again, so an idle stream carries one small
 * iterator rather than an async generator (its promises, its closures) per
 * interceptor. Taps run in the order added — the innermost interceptor's
 * first — which is the order the wrapping generators ran them in: an error
 * is mapped by the inner taps before the outer ones see it, and `end` is
 * heard inner first, after the source has been returned.
 */
export function tapStream<T>(source: AsyncIterable<T>, tap: StreamTap<NoInfer<T>>): AsyncIterable<T> {
  if (source instanceof TappedStream && !source.started) {
    source.taps.push(tap as StreamTap<unknown>);
    return source as AsyncIterable<T>;
  }
  return new TappedStream(source, [tap]);
}

class TappedStream<T> implements AsyncIterableIterator<T> {
  started = false;
  private it: AsyncIterator<T> | undefined;
  private ended = false;

  constructor(
    private readonly source: AsyncIterable<T>,
    readonly taps: StreamTap<unknown>[],
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.ended) return { done: true, value: undefined };
    this.started = true;
    this.it ??= this.source[Symbol.asyncIterator]();
    const it = this.it;
    let step: IteratorResult<T>;
    try {
      step = await this.read(() => it.next());
    } catch (error) {
      throw this.fail(error);
    }
    if (step.done) {
      this.finish(undefined);
      return step;
    }
    for (const tap of this.taps) tap.value?.(step.value);
    return step;
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.ended) {
      this.ended = true;
      await this.closeSource();
      this.hearEnd(undefined);
    }
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    throw this.fail(error);
  }

  /** `step` inside the taps' scopes, the innermost tap's innermost. */
  private scoped<R>(step: () => R): R {
    let run = step;
    for (const tap of this.taps) {
      const { within } = tap;
      if (within) {
        const inner = run;
        run = () => within(inner);
      }
    }
    return run();
  }

  /** A read of the source, inside the taps' scopes, cut short by their signals. */
  private read(step: () => Promise<IteratorResult<T>>): Promise<IteratorResult<T>> {
    const run = () => this.scoped(step);
    const cuts = this.taps.filter((tap) => tap.cut !== undefined).map((tap) => tap.cut!);
    if (cuts.length === 0) return run();
    const aborted = cuts.find((signal) => signal.aborted);
    if (aborted) return Promise.reject(aborted.reason);
    return new Promise((resolve, reject) => {
      const onCut = (event: Event) => {
        done();
        reject((event.target as AbortSignal).reason);
      };
      const done = () => {
        for (const signal of cuts) signal.removeEventListener("abort", onCut);
      };
      for (const signal of cuts) signal.addEventListener("abort", onCut, { once: true });
      run().then(
        (result) => {
          done();
          resolve(result);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  /**
   * The stream failed with `error`: mapped by every tap and the end heard; the
   * mapped error. The source is told to return without waiting: one cut
   * short while it awaits ends only once the call is over.
   */
  private fail(error: unknown): unknown {
    let passed = error;
    for (const tap of this.taps) if (tap.error) passed = tap.error(passed);
    if (!this.ended) {
      this.ended = true;
      void this.closeSource();
      this.hearEnd(passed);
    }
    return passed;
  }

  /** The source finished on its own. */
  private finish(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.hearEnd(error);
  }

  private async closeSource(): Promise<void> {
    const it = this.it;
    if (it?.return === undefined) return;
    try {
      await this.scoped(() => it.return!());
    } catch {
      // A source that fails to return has ended all the same.
    }
  }

  private hearEnd(error: unknown): void {
    for (const tap of this.taps) tap.end?.(error);
  }
}
