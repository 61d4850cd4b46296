/**
 * Connect's JSON options: its default of ignoring unknown fields, and a fatal
 * UTF-8 decoder, so a JSON body that is not UTF-8 is `invalid_argument`, not
 * text patched with U+FFFD. connect-node's JSON serialization reads
 * `textDecoder` from these options (its router type does not list it).
 */
export const strictJsonOptions = { ignoreUnknownFields: true, textDecoder: new TextDecoder("utf-8", { fatal: true }) };
