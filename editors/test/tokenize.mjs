// Tokenize audience text with VS Code's own TextMate engine and the grammar of editors/vscode.
//   node editors/test/tokenize.mjs < file.aud
// prints one JSON array per line of input: [[token text, [scopes...]], ...]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = dirname(fileURLToPath(import.meta.url));
const wasm = readFileSync(join(dirname(require.resolve("vscode-oniguruma")), "onig.wasm")).buffer;
await oniguruma.loadWASM(wasm);

const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }),
  loadGrammar: async (scopeName) => {
    if (scopeName !== "source.audience") return null;
    const path = join(here, "..", "vscode", "syntaxes", "audience.tmLanguage.json");
    return vsctm.parseRawGrammar(readFileSync(path, "utf8"), path);
  },
});

const grammar = await registry.loadGrammar("source.audience");
const text = readFileSync(0, "utf8");
let state = vsctm.INITIAL;
for (const line of text.split("\n")) {
  const r = grammar.tokenizeLine(line, state);
  console.log(JSON.stringify(r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes])));
  state = r.ruleStack;
}
