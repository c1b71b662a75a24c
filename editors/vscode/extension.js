// Starts `audiencelang lsp` (stdio) for .aud files and for the project's market files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("audiencelang").get("command");
  client = new LanguageClient(
    "audiencelang",
    "audiencelang",
    { command, args },
    {
      documentSelector: [
        { scheme: "file", language: "audience" },
        { scheme: "file", pattern: "**/markets/*.{yaml,yml}" },
        { scheme: "file", pattern: "**/audiencelang.toml" },
      ],
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
