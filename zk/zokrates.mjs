// ZoKrates (zokrates-js, wasm) and the pinned solc for Agora's zk package, offline.
// One request on stdin, one answer on stdout, both JSON:
//   {"op": "compile" | "setup" | "witness" | "prove" | "verify" | "export" | "solc" | "version", ...}
//   -> {"ok": true, ...} or {"ok": false, "error": {"kind": ..., "message": ...}}
// Binary values (compiled program, proving key, r1cs) travel as base64. Curve bn128, Groth16,
// the arkworks backend. zk/_node.py runs it with a deadline and size limits; this script only
// answers. Node truncates piped stdout at exit, so the answer is written synchronously.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const NODE_MODULES = process.env.AGORA_ZK_NODE_MODULES;
const MAX_LOG_LINES = 100;
const MAX_LOG_CHARS = 500;

function writeAll(fd, text) {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
    }
  }
}

class Failure extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// zokrates-js throws strings as well as Errors.
const text = (err) => (err instanceof Error ? err.message : String(err));
const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const bytesOf = (s) => new Uint8Array(Buffer.from(s, "base64"));

async function zokrates() {
  const entry = path.join(NODE_MODULES, "zokrates-js", "index-node.js");
  if (!fs.existsSync(entry)) throw new Failure("toolchain", `zokrates-js is not installed (${entry}): run make deps`);
  const module = await import(pathToFileURL(entry).href);
  const provider = await module.initialize();
  return { z: provider.withOptions({ backend: "ark", curve: "bn128", scheme: "g16" }), version: module.metadata.version };
}

function solc() {
  const entry = path.join(NODE_MODULES, "solc");
  if (!fs.existsSync(entry)) throw new Failure("toolchain", `solc is not installed (${entry}): run make deps`);
  return createRequire(import.meta.url)(entry);
}

function guarded(kind, fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Failure) throw err;
    throw new Failure(kind, text(err));
  }
}

// The program's log statements are kept (bounded) and handed back with the answer.
function witness(z, req) {
  const logs = [];
  const logCallback = (line) => {
    if (logs.length < MAX_LOG_LINES) logs.push(String(line).slice(0, MAX_LOG_CHARS));
  };
  const program = bytesOf(req.program);
  const result = guarded("witness", () => z.computeWitness({ program, abi: req.abi }, req.args, { logCallback }));
  return { result, logs, program };
}

const ops = {
  async version() {
    const { version } = await zokrates();
    return { zokrates: version, solc: solc().version() };
  },

  async compile(req) {
    const { z, version } = await zokrates();
    // A program imports the standard library (built into zokrates-js) and the libraries the
    // request names (zk/pedersen.py's), nothing from the file system.
    const libraries = req.libraries || {};
    const resolveCallback = (_from, to) =>
      Object.hasOwn(libraries, to) ? { source: libraries[to], location: to } : null;
    const art = guarded("compile", () =>
      z.compile(req.source, { location: req.location, resolveCallback, snarkjs: true }),
    );
    return {
      program: b64(art.program),
      abi: art.abi,
      constraintCount: art.constraintCount,
      r1cs: b64(art.snarkjs.program),
      zokrates: version,
    };
  },

  async setup(req) {
    const { z } = await zokrates();
    const keys = guarded("setup", () => z.setup(bytesOf(req.program)));
    return { vk: keys.vk, pk: b64(keys.pk) };
  },

  async witness(req) {
    const { z } = await zokrates();
    const { result, logs } = witness(z, req);
    return { output: JSON.parse(result.output), logs };
  },

  async prove(req) {
    const { z } = await zokrates();
    const { result, logs, program } = witness(z, req);
    const proof = guarded("prove", () => z.generateProof(program, result.witness, bytesOf(req.pk)));
    return { proof, output: JSON.parse(result.output), logs };
  },

  async verify(req) {
    const { z } = await zokrates();
    return { valid: guarded("verify", () => z.verify(req.vk, req.proof)) };
  },

  async export(req) {
    const { z } = await zokrates();
    return { source: guarded("export", () => z.exportSolidityVerifier(req.vk)) };
  },

  async solc(req) {
    const compiler = solc();
    const input = {
      language: "Solidity",
      sources: { [req.file]: { content: req.source } },
      settings: {
        evmVersion: req.evmVersion,
        optimizer: { enabled: true, runs: req.optimizerRuns },
        metadata: { bytecodeHash: "none" },
        outputSelection: { [req.file]: { [req.contract]: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
      },
    };
    const raw = compiler.compile(JSON.stringify(input), { import: () => ({ error: "imports are not allowed" }) });
    const output = JSON.parse(raw.slice(Math.max(0, raw.indexOf("{"))));
    const errors = (output.errors || []).filter((e) => e.severity === "error");
    if (errors.length) throw new Failure("solc", errors.map((e) => e.formattedMessage || e.message).join("\n"));
    const contract = output.contracts?.[req.file]?.[req.contract];
    if (!contract) throw new Failure("solc", `no contract ${req.contract} in ${req.file}`);
    return {
      version: compiler.version(),
      abi: contract.abi,
      bytecode: contract.evm.bytecode.object,
      deployedBytecode: contract.evm.deployedBytecode.object,
    };
  },
};

async function main() {
  let answer;
  try {
    if (!NODE_MODULES) throw new Failure("toolchain", "AGORA_ZK_NODE_MODULES is not set");
    const req = JSON.parse(fs.readFileSync(0, "utf8"));
    const op = ops[req.op];
    if (!op) throw new Failure("request", `unknown op ${JSON.stringify(req.op)}`);
    answer = { ok: true, ...(await op(req)) };
  } catch (err) {
    answer = { ok: false, error: { kind: err instanceof Failure ? err.kind : "internal", message: text(err) } };
  }
  writeAll(1, JSON.stringify(answer));
}

await main();
