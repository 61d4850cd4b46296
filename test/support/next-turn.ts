/**
 * Resolves on the next turn of the event loop: when a change made outside the
 * process (a file deleted under the store) is seen by checks that run once
 * per turn, such as the SQLite file guard's.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
