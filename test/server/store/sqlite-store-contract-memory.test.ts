import { describeStoreContract } from "./store-contract.js";
import { useTempSqliteStores } from "./sqlite-temp-store.js";

// The store contract on an in-memory SQLite database.
const stores = useTempSqliteStores();
describeStoreContract("sqlite (:memory:)", () => stores.open(":memory:"));
