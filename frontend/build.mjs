// Bundles every frontend/src/entries/<name>.js (or .ts) into tracedojo/static/build/<name>.js
// (plus <name>.css when the entry imports CSS). Run by `make install` after `npm ci`.
// Pages load the bundles as <script type="module" src="/static/build/<name>.js">.
import { readdirSync, rmSync } from "node:fs";
import { dirname, join, parse } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const entriesDir = join(here, "src", "entries");
const outdir = join(here, "..", "tracedojo", "static", "build");

const entryPoints = Object.fromEntries(
  readdirSync(entriesDir)
    .filter((file) => /\.(js|ts)$/.test(file))
    .map((file) => [parse(file).name, join(entriesDir, file)]),
);
if (Object.keys(entryPoints).length === 0) throw new Error(`no entries in ${entriesDir}`);

// A stale bundle of a deleted entry must not linger and be served.
rmSync(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints,
  outdir,
  bundle: true,
  format: "esm",
  splitting: false,
  minify: true,
  sourcemap: "linked",
  target: ["es2020"],
  legalComments: "linked",
  logLevel: "warning",
  metafile: true,
});
const outputs = Object.keys(result.metafile.outputs).filter((file) => !file.endsWith(".map"));
console.log(`built ${outputs.length} file(s) into tracedojo/static/build: ${Object.keys(entryPoints).join(", ")}`);
