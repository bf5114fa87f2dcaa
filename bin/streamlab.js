#!/usr/bin/env node
"use strict";
// The CLI is compiled TypeScript; `npm install` builds it (the `prepare` script).
let cli;
try {
  cli = require("../dist/lib/cli/main.js");
} catch (e) {
  if (e && e.code === "MODULE_NOT_FOUND") {
    console.error("streamlab is not built yet: run `npm run build` (or `npm install`) in the project folder.");
    process.exit(2);
  }
  throw e;
}
cli.run(process.argv);
