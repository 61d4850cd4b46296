import { describeStoreContract } from "./store-contract.js";
import { useTempSqliteStores } from "./sqlite-temp-store.js";

// The store contract on a SQLite file (its own file so it runs beside the :memory: run).
const stores = useTempSqliteStores();
describeStoreContract("sqlite (temp file)", () => stores.open());
