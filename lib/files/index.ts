export { isTempName, writeFileAtomic, writeFileAtomicSync, type AtomicWriteOptions, type FileContent, type FileContentSync } from "./atomic";
