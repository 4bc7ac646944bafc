// Signing in the browser, as marketplace/client.py does in Python: uploads (EIP-712 `StorePut`,
// store/auth.py) and job requests (EIP-712 `JobRequest`, ledger/market.py). The key never leaves
// the browser: a wallet (window.ethereum) signs, or, on a development chain only, a development
// account derived here from the public mnemonic.

import { DEV_CHAIN_IDS, DEV_HD_PATH, DEV_MNEMONIC, REGIONS } from "./abi.js";
import { contracts, get, post, request } from "./api.js";
import { ethers } from "./chain.js";
import { WEI } from "./format.js";

const UPLOAD_VALID = 3000; // seconds an upload's signature is valid (the API takes at most an hour)
const LOCK_WINDOW = 3600;
const COMPUTE_WINDOW = 3600;
const REVEAL_WINDOW = 3600;
const BURN_BPS = 2000n;

const STORE_DOMAIN = { name: "Agora Store", version: "1" };
const STORE_TYPES = {
  StorePut: [
    { name: "node", type: "bytes32" },
    { name: "path", type: "string" },
    { name: "size", type: "uint256" },
    { name: "expires", type: "uint64" },
  ],
};
const REQUEST_FIELDS = [
  ["requester", "address"],
  ["programId", "bytes32"],
  ["inputDigest", "bytes32"],
  ["verifierPin", "bytes32"],
  ["minPrice", "uint96"],
  ["maxPrice", "uint96"],
  ["ramp", "uint32"],
  ["collateral", "uint96"],
  ["redundancy", "uint8"],
  ["quorum", "uint8"],
  ["mode", "uint8"],
  ["fuelLimit", "uint64"],
  ["lockDeadline", "uint40"],
  ["commitDeadline", "uint40"],
  ["revealDeadline", "uint40"],
  ["regions", "uint32"],
  ["nonce", "uint256"],
  ["expiry", "uint40"],
];
const REQUEST_TYPES = { JobRequest: REQUEST_FIELDS.map(([name, type]) => ({ name, type })) };
const DOMAIN_TYPE = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

export function isDevChain(chainId) {
  return DEV_CHAIN_IDS.includes(Number(chainId));
}

/** Development account `index` of the public mnemonic: {address, signTypedData, label}. */
export async function devSigner(index) {
  const { HDNodeWallet } = await ethers();
  const wallet = HDNodeWallet.fromPhrase(DEV_MNEMONIC, "", `${DEV_HD_PATH}/${index}`);
  return {
    address: wallet.address,
    label: `development account dev:${index}`,
    signTypedData: (domain, types, message) => wallet.signTypedData(domain, types, message),
  };
}

function stringify(value) {
  return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

/** The browser's wallet (EIP-1193 `window.ethereum`), on the API's chain: {address, signTypedData, label}. */
export async function walletSigner() {
  const provider = window.ethereum;
  if (!provider) throw new Error("no browser wallet: this browser has no window.ethereum");
  const [address] = await provider.request({ method: "eth_requestAccounts" });
  const chainId = Number(await provider.request({ method: "eth_chainId" }));
  const deployed = await contracts();
  if (chainId !== Number(deployed.chain_id)) {
    throw new Error(`the wallet is on chain ${chainId}; switch it to chain ${deployed.chain_id}, the market's`);
  }
  return {
    address,
    label: `wallet account ${address}`,
    signTypedData: async (domain, types, message) => {
      const domainType = DOMAIN_TYPE.filter((f) => f.name in domain);
      const typed = { types: { EIP712Domain: domainType, ...types }, domain, primaryType: Object.keys(types)[0], message };
      return provider.request({ method: "eth_signTypedData_v4", params: [address, stringify(typed)] });
    },
  };
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const CID_PREFIX = [0x01, 0x55, 0x12, 0x20]; // CIDv1, raw codec, sha2-256, 32 bytes

function base32(bytes) {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text) {
  const out = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

function hex(bytes) {
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function sha256(bytes) {
  if (globalThis.crypto?.subtle) return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const { sha256: hash, getBytes } = await ethers(); // a page not served over https or from localhost
  return getBytes(hash(bytes));
}

/** The CIDv1 (raw, sha2-256, base32) of `bytes`, as store.cid_of makes it. */
export async function cidOf(bytes) {
  return `b${base32(new Uint8Array([...CID_PREFIX, ...(await sha256(bytes))]))}`;
}

/** The 32-byte digest (0x-hex) a raw sha2-256 CIDv1 names: what a request names a blob by. */
export function digestOf(cid) {
  const text = String(cid).trim();
  if (!text.startsWith("b")) throw new Error(`${text} is not a base32 CIDv1`);
  const bytes = unbase32(text.slice(1));
  if (bytes.length !== 36 || CID_PREFIX.some((b, i) => bytes[i] !== b)) {
    throw new Error(`${text} is not a CIDv1 of raw sha2-256 content`);
  }
  return hex(bytes.slice(4));
}

/** Uploads `bytes` through `POST /v1/blobs`, signed like marketplace/client.py's `upload`; its manifest CID. */
export async function upload(bytes, signer, { regions = [] } = {}) {
  const cid = await cidOf(bytes);
  const terms = await get("/v1/blobs");
  const expires = Math.floor(Date.now() / 1000) + UPLOAD_VALID;
  const path = `/v1/blobs/${cid}`;
  const signature = await signer.signTypedData(STORE_DOMAIN, STORE_TYPES, {
    node: terms.id,
    path,
    size: bytes.byteLength,
    expires,
  });
  const answer = await request("/v1/blobs", {
    method: "POST",
    params: { cid, regions: regions.join(",") },
    body: bytes,
    headers: {
      Authorization: `AgoraStore signer=${signer.address},expires=${expires},signature=${signature}`,
      "Content-Type": "application/octet-stream",
    },
  });
  return (await answer.json()).cid;
}

function randomNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

/** A region list as the request's mask (0: anywhere). */
export function regionsMask(codes) {
  let mask = 0;
  for (const code of codes) {
    const index = REGIONS.indexOf(code);
    if (index < 0) throw new Error(`no region ${JSON.stringify(code)}; known: ${REGIONS.join(", ")}`);
    mask |= 1 << index;
  }
  return mask >>> 0;
}

/**
 * A `REDUNDANT` request with `ledger.new_request`'s defaults from `now` (the chain's time): the
 * quorum a majority, the ask ramping over ten minutes, collateral the larger of 50 AGR and the
 * market's least, an hour each to lock, compute and reveal, posted within the hour.
 */
export function newRequest(now, { requester, programId, inputDigest, redundancy, quorum, minPrice, maxPrice, fuelLimit, regions }) {
  const least = (3n * maxPrice * 10000n + (10000n - BURN_BPS) - 1n) / (10000n - BURN_BPS);
  const collateral = least > 50n * WEI ? least : 50n * WEI;
  return {
    requester,
    programId,
    inputDigest,
    verifierPin: `0x${"00".repeat(32)}`,
    minPrice,
    maxPrice,
    ramp: 600,
    collateral,
    redundancy,
    quorum: quorum ?? Math.floor(redundancy / 2) + 1,
    mode: 0,
    fuelLimit: BigInt(fuelLimit),
    lockDeadline: now + LOCK_WINDOW,
    commitDeadline: now + LOCK_WINDOW + COMPUTE_WINDOW,
    revealDeadline: now + LOCK_WINDOW + COMPUTE_WINDOW + REVEAL_WINDOW,
    regions,
    nonce: randomNonce(),
    expiry: now + LOCK_WINDOW,
  };
}

/** The request as `POST /v1/jobs` reads it (marketplace.intake.request_json): snake_case, wei as digits. */
export function requestJson(r) {
  return {
    requester: r.requester,
    program_id: r.programId,
    input_digest: r.inputDigest,
    verifier_pin: r.verifierPin,
    min_price: r.minPrice.toString(),
    max_price: r.maxPrice.toString(),
    ramp: r.ramp,
    collateral: r.collateral.toString(),
    redundancy: r.redundancy,
    quorum: r.quorum,
    mode: r.mode === 1 ? "zk" : "redundant",
    fuel_limit: r.fuelLimit.toString(),
    lock_deadline: r.lockDeadline,
    commit_deadline: r.commitDeadline,
    reveal_deadline: r.revealDeadline,
    regions: r.regions,
    nonce: r.nonce.toString(),
    expiry: r.expiry,
  };
}

/** Signs the request (EIP-712, domain AgoraJobMarket on the API's chain and market) and submits it. */
export async function submit(r, signer) {
  const deployed = await contracts();
  const domain = {
    name: "AgoraJobMarket",
    version: "1",
    chainId: Number(deployed.chain_id),
    verifyingContract: deployed.contracts.JobMarket,
  };
  const signature = await signer.signTypedData(domain, REQUEST_TYPES, r);
  return post("/v1/jobs", { request: requestJson(r), signature });
}
