import pl from "nodejs-polars";
const F = "%Y-%m-%dT%H:%M:%S%.fZ";
const s = pl.DataFrame({ t: ["2020-01-01T00:00:02Z", "2020-01-01T00:00:01.500Z", null] });
const bad = pl.DataFrame({ t: ["2020-01-01T00:00:02Z", "yesterday"] });
for (const f of [() => s.select(pl.col("t").str.strptime(pl.Datetime("ms"), F)), () => bad.select(pl.col("t").str.strptime(pl.Datetime("ms"), F)), () => pl.DataFrame({ b: ["true", "false"] }).select(pl.col("b").cast(pl.Bool, true)), () => pl.DataFrame({ b: ["1", "x"] }).select(pl.col("b").cast(pl.Int64, true)), () => pl.readCSV(Buffer.from("a,b\n007,x\n"), { inferSchemaLength: 0 }), () => pl.readCSV(Buffer.from(""), {})]) {
  try { const d = f(); console.log(d.toString(), d.dtypes.map(String)); } catch (e) { console.log("ERR", (e as Error).message.slice(0, 200)); }
}
