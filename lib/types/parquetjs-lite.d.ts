// The part of parquetjs-lite streamlab uses (the package ships no types).
declare module "parquetjs-lite" {
  export class ParquetReader {
    static openBuffer(buffer: Buffer): Promise<ParquetReader>;
    getRowCount(): number | { toNumber(): number };
    getSchema(): { fields: Record<string, { primitiveType?: string; originalType?: string }> };
    close(): Promise<void>;
  }
}
