import type { MachineRecord, Store, TokenRecord } from "../../../server/store/store.js";

/**
 * An in-memory stand-in for the parts of Store the auth interceptor uses
 * (tokens and machines). Every other method throws, so a test that strays
 * beyond auth fails loudly. It records the signals it was given.
 */
export interface FakeTokenStore {
  store: Store;
  tokens: TokenRecord[];
  machines: MachineRecord[];
  signals: (AbortSignal | undefined)[];
}

export function createFakeTokenStore(): FakeTokenStore {
  const fake: FakeTokenStore = { store: undefined as unknown as Store, tokens: [], machines: [], signals: [] };
  const partial: Partial<Store> = {
    async findTokenByHash(hashHex, signal) {
      fake.signals.push(signal);
      return fake.tokens.find((t) => t.hashHex === hashHex && t.revokedAt === undefined);
    },
    async getMachine(machineId, signal) {
      fake.signals.push(signal);
      return fake.machines.find((m) => m.machineId === machineId);
    },
  };
  fake.store = new Proxy(partial as Store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (value === undefined && typeof name === "string") {
        return () => {
          throw new Error(`fake store: ${name} not implemented`);
        };
      }
      return value;
    },
  });
  return fake;
}
