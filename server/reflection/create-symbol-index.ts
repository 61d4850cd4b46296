import type { DescEnum, DescFile, DescMessage, FileRegistry } from "@bufbuild/protobuf";

/**
 * Every fully-qualified symbol of the registry's files mapped to the file that
 * declares it: services and their methods, messages with their fields and
 * oneofs, enums and their values (scoped like siblings of the enum, as protoc
 * does), and extensions. Built once; a lookup is one map read.
 */
export function createSymbolIndex(registry: FileRegistry): ReadonlyMap<string, DescFile> {
  const index = new Map<string, DescFile>();
  const addEnum = (e: DescEnum, file: DescFile): void => {
    index.set(e.typeName, file);
    const scope = e.typeName.slice(0, Math.max(0, e.typeName.lastIndexOf(".")));
    for (const v of e.values) index.set(scope === "" ? v.name : `${scope}.${v.name}`, file);
  };
  const addMessage = (m: DescMessage, file: DescFile): void => {
    index.set(m.typeName, file);
    for (const f of m.fields) index.set(`${m.typeName}.${f.name}`, file);
    for (const o of m.oneofs) index.set(`${m.typeName}.${o.name}`, file);
    for (const e of m.nestedEnums) addEnum(e, file);
    for (const x of m.nestedExtensions) index.set(x.typeName, file);
    for (const n of m.nestedMessages) addMessage(n, file);
  };
  for (const file of registry.files) {
    for (const s of file.services) {
      index.set(s.typeName, file);
      for (const m of s.methods) index.set(`${s.typeName}.${m.name}`, file);
    }
    for (const m of file.messages) addMessage(m, file);
    for (const e of file.enums) addEnum(e, file);
    for (const x of file.extensions) index.set(x.typeName, file);
  }
  return index;
}
