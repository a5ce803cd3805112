#!/usr/bin/env node
// Compiles contracts/**/*.sol with the pinned solcjs and writes one JSON artifact per concrete
// contract and interface to oracle/chain/artifacts/ (or --out DIR). The artifacts are committed so
// the Python package runs without a compiler; tests/contracts/test_artifacts.py recompiles into a
// temporary directory and fails when they differ, so the output must be byte-for-byte stable:
// keys sorted, two-space indentation, a final newline, no timestamps or absolute paths.
// scripts/compile_solcx.py is the same build through py-solc-x, and
// tests/contracts/test_compile_solcx.py keeps the two byte-identical: change both together.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const ROOT = path.resolve(__dirname, "..");
const CONTRACTS_DIR = "contracts";
const DEFAULT_OUT = path.join("oracle", "chain", "artifacts");
const SOLC_VERSION = "0.8.37";
// Import prefixes resolved from node_modules; anything else must be one of our own sources.
const NODE_MODULE_PREFIXES = ["@openzeppelin/"];

// Shanghai: the newest fork Ganache 7.9 runs, and one py-evm (Prague) and Anvil run too, so one
// bytecode serves every chain the project tests on. No viaIR: the legacy pipeline compiles these
// contracts and its output is what the gas numbers were measured with.
const SETTINGS = {
  evmVersion: "shanghai",
  optimizer: { enabled: true, runs: 200 },
  viaIR: false,
};

function usage(message) {
  if (message) process.stderr.write(`compile.js: ${message}\n`);
  process.stderr.write("usage: node scripts/compile.js [--out DIR]\n");
  process.exit(2);
}

function parseArgs(argv) {
  let out = DEFAULT_OUT;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === "--out") {
      if (i + 1 >= argv.length) usage("--out needs a directory");
      out = argv[i + 1];
      i += 1;
    } else if (argv[i] === "--help" || argv[i] === "-h") {
      usage();
    } else {
      usage(`unknown argument ${argv[i]}`);
    }
  }
  return { out: path.resolve(out) };
}

function listSources(dir) {
  const found = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...listSources(rel));
    else if (entry.isFile() && entry.name.endsWith(".sol")) found.push(rel);
  }
  return found.sort();
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

function sha256(text) {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

function main() {
  const { out } = parseArgs(process.argv.slice(2));
  if (!solc.version().startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(`solc ${SOLC_VERSION} is pinned, but node_modules has ${solc.version()}; run npm install`);
  }

  // Every source that goes into the compiler, by source unit name, as the exact text compiled.
  const contents = new Map();
  for (const name of listSources(CONTRACTS_DIR)) {
    contents.set(name, fs.readFileSync(path.join(ROOT, name), "utf8"));
  }

  const resolveImport = (name) => {
    if (!NODE_MODULE_PREFIXES.some((prefix) => name.startsWith(prefix)) || name.includes("..")) {
      return { error: `import ${name} is outside ${NODE_MODULE_PREFIXES.join(", ")} and ${CONTRACTS_DIR}/` };
    }
    const file = path.join(ROOT, "node_modules", name);
    if (!fs.existsSync(file)) return { error: `${name} not found in node_modules; run npm install` };
    const text = fs.readFileSync(file, "utf8");
    contents.set(name, text);
    return { contents: text };
  };

  const sources = {};
  for (const [name, text] of contents) sources[name] = { content: text };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      ...SETTINGS,
      outputSelection: {
        "*": {
          "": ["ast"],
          "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers", "metadata"],
        },
      },
    },
  };

  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport }));
  const diagnostics = output.errors || [];
  for (const diagnostic of diagnostics) process.stderr.write(`${diagnostic.formattedMessage}\n`);
  if (diagnostics.some((d) => d.severity === "error")) {
    process.stderr.write("compile.js: compilation failed\n");
    process.exit(1);
  }

  const artifacts = new Map();
  for (const sourceName of Object.keys(output.contracts).sort()) {
    if (!sourceName.startsWith(`${CONTRACTS_DIR}/`)) continue;
    for (const node of output.sources[sourceName].ast.nodes) {
      if (node.nodeType !== "ContractDefinition") continue;
      // Concrete contracts are deployed and interfaces are how others call them; abstract bases
      // and internal libraries only exist inside those, so they get no artifact of their own.
      const wanted = node.contractKind === "interface" || (node.contractKind === "contract" && !node.abstract);
      if (!wanted) continue;
      const name = node.name;
      if (artifacts.has(name)) throw new Error(`two contracts are named ${name}; artifact names must be unique`);
      const compiled = output.contracts[sourceName][name];
      const metadata = JSON.parse(compiled.metadata);
      const inputs = {};
      for (const used of Object.keys(metadata.sources)) inputs[used] = { sha256: sha256(contents.get(used)) };
      const bytecode = compiled.evm.bytecode.object;
      const deployedBytecode = compiled.evm.deployedBytecode.object;
      artifacts.set(name, {
        abi: compiled.abi,
        bytecode: bytecode ? `0x${bytecode}` : "0x",
        compiler: { name: "solc", version: solc.version() },
        contractName: name,
        deployedBytecode: deployedBytecode ? `0x${deployedBytecode}` : "0x",
        kind: node.contractKind,
        methodIdentifiers: compiled.evm.methodIdentifiers,
        settings: SETTINGS,
        sourceName,
        sources: inputs,
      });
    }
  }

  fs.mkdirSync(out, { recursive: true });
  for (const [name, artifact] of artifacts) {
    fs.writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify(sortKeys(artifact), null, 2)}\n`);
  }
  // An artifact of a contract that no longer exists would keep being shipped: remove it.
  for (const file of fs.readdirSync(out)) {
    if (file.endsWith(".json") && !artifacts.has(file.slice(0, -".json".length))) {
      fs.unlinkSync(path.join(out, file));
    }
  }
  const names = [...artifacts.keys()].join(", ");
  process.stdout.write(`compiled ${names} with solc ${solc.version()} into ${path.relative(ROOT, out) || "."}\n`);
}

main();
