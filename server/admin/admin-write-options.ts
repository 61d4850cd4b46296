/** Options of the admin functions that write. */
export interface AdminWriteOptions {
  /** The time recorded as created (or revoked), Unix milliseconds. Default `Date.now()`. */
  now?: number;
}
