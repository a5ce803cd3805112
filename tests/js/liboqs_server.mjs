#!/usr/bin/env node
// liboqs (the Open Quantum Safe C library, as the WebAssembly build @oqs/liboqs-js) behind a
// JSON-lines pipe, so the Python tests can compare it with the project's own backends without the
// C library. tests/liboqs_js.py starts one process per test session and drives it.
//
// One request per stdin line, one answer per stdout line, in order. Byte strings are lowercase hex.
//   {"id": 1, "op": "sig.keypair", "alg": "ML-DSA-44"}          -> {"id": 1, "ok": true, "pk", "sk"}
//   {"id": 2, "op": "sig.sign", "alg", "sk", "msg"}             -> {"id": 2, "ok": true, "sig"}
//   {"id": 3, "op": "sig.verify", "alg", "pk", "msg", "sig"}    -> {"id": 3, "ok": true, "valid"}
//   {"id": 4, "op": "kem.keypair", "alg": "ML-KEM-768"}         -> {"id": 4, "ok": true, "ek", "dk"}
//   {"id": 5, "op": "kem.encaps", "alg", "ek"}                  -> {"id": 5, "ok": true, "ss", "ct"}
//   {"id": 6, "op": "kem.decaps", "alg", "dk", "ct"}            -> {"id": 6, "ok": true, "ss"}
// A request the wrapper refuses (its LibOQSValidationError: a key or ciphertext of the wrong
// length, an empty or overlong signature) or liboqs fails (LibOQSOperationError: a nonzero
// OQS_STATUS) answers {"id", "ok": false, "kind": <error class>, "error": <its message>}.
// The first line written is {"ready": true, "liboqs_js": <version>, "node": <version>}.
//
// What the wrapper exposes is what can be compared: OQS_SIG_keypair/sign/verify (pure ML-DSA,
// empty context, hedged signing, random keys) and OQS_KEM_keypair/encaps/decaps (random keys and
// encapsulations). There is no context string, no seed and no caller-chosen randomness.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import {
  createMLDSA44,
  createMLDSA65,
  createMLDSA87,
  createMLKEM768,
  createMLKEM1024,
} from "@oqs/liboqs-js";

const FACTORIES = {
  "ML-DSA-44": createMLDSA44,
  "ML-DSA-65": createMLDSA65,
  "ML-DSA-87": createMLDSA87,
  "ML-KEM-768": createMLKEM768,
  "ML-KEM-1024": createMLKEM1024,
};
// One WebAssembly instance per algorithm for the whole process: instantiating is the slow part.
const instances = new Map();

function packageVersion() {
  // The package's "exports" hide package.json: read it beside the resolved entry point.
  const entry = fileURLToPath(import.meta.resolve("@oqs/liboqs-js"));
  const manifest = entry.replace(/src[\\/]index\.js$/, "package.json");
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

async function instance(alg, family) {
  if (typeof alg !== "string" || !alg.startsWith(family) || !(alg in FACTORIES)) {
    throw new RequestError(`unknown ${family} algorithm ${JSON.stringify(alg)}`);
  }
  if (!instances.has(alg)) instances.set(alg, await FACTORIES[alg]());
  return instances.get(alg);
}

class RequestError extends Error {
  name = "RequestError";
}

function bytes(request, field) {
  const value = request[field];
  if (typeof value !== "string" || !/^(?:[0-9a-f]{2})*$/.test(value)) {
    throw new RequestError(`${field} must be lowercase hex`);
  }
  return new Uint8Array(Buffer.from(value, "hex"));
}

const hex = (data) => Buffer.from(data).toString("hex");

const OPERATIONS = {
  async "sig.keypair"(request) {
    const { publicKey, secretKey } = (await instance(request.alg, "ML-DSA")).generateKeyPair();
    return { pk: hex(publicKey), sk: hex(secretKey) };
  },
  async "sig.sign"(request) {
    const sig = await instance(request.alg, "ML-DSA");
    return { sig: hex(sig.sign(bytes(request, "msg"), bytes(request, "sk"))) };
  },
  async "sig.verify"(request) {
    const sig = await instance(request.alg, "ML-DSA");
    const valid = sig.verify(bytes(request, "msg"), bytes(request, "sig"), bytes(request, "pk"));
    return { valid };
  },
  async "kem.keypair"(request) {
    const { publicKey, secretKey } = (await instance(request.alg, "ML-KEM")).generateKeyPair();
    return { ek: hex(publicKey), dk: hex(secretKey) };
  },
  async "kem.encaps"(request) {
    const kem = await instance(request.alg, "ML-KEM");
    const { ciphertext, sharedSecret } = kem.encapsulate(bytes(request, "ek"));
    return { ss: hex(sharedSecret), ct: hex(ciphertext) };
  },
  async "kem.decaps"(request) {
    const kem = await instance(request.alg, "ML-KEM");
    return { ss: hex(kem.decapsulate(bytes(request, "ct"), bytes(request, "dk"))) };
  },
};

async function answer(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return { id: null, ok: false, kind: "RequestError", error: "not a JSON line" };
  }
  const id = request?.id ?? null;
  const operation = Object.hasOwn(OPERATIONS, request?.op) ? OPERATIONS[request.op] : null;
  if (operation === null) {
    return { id, ok: false, kind: "RequestError", error: `unknown op ${JSON.stringify(request?.op)}` };
  }
  try {
    return { id, ok: true, ...(await operation(request)) };
  } catch (err) {
    // The wrapper's messages name lengths and operations, never key or message bytes.
    return { id, ok: false, kind: err?.name ?? "Error", error: String(err?.message ?? err) };
  }
}

process.stdout.write(
  `${JSON.stringify({ ready: true, liboqs_js: packageVersion(), node: process.version })}\n`,
);
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === "") continue;
  process.stdout.write(`${JSON.stringify(await answer(line))}\n`);
}
for (const wrapper of instances.values()) wrapper.destroy();
