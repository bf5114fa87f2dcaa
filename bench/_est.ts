import { generated, expanded } from "./lib/datasets";
(async () => {
  const t = Date.now();
  const b = await generated(320, 60, 7, console.log);
  console.log("gen s", (Date.now() - t) / 1000, b.files);
  const e = await expanded(b, 1, 1, "2020-01-01T00:00:00Z", console.log);
  console.log(JSON.stringify(e));
})();
