// The chain itself, over JSON-RPC from the browser: what the settlements page re-checks the API's
// answers against (like Otterscan, which reads its own node), and the transaction view.

import { MARKET_EVENTS, COURT_EVENTS, STAKE_EVENTS, TOKEN_EVENTS, SETTLEMENT_EVENTS, SLASH_REASONS } from "./abi.js";
import { config, contracts } from "./api.js";
import { agrOf, weiOf } from "./format.js";

const RPC_KEY = "agora.rpc";
let ethersOnce = null;

/** ethers' ESM build (frontend/static/vendor/, copied there by `make`), loaded when first needed. */
export function ethers() {
  ethersOnce ??= import("../vendor/ethers.min.js").catch((error) => {
    ethersOnce = null;
    throw new Error(`ethers is missing from /ui/vendor/ (run \`make deps\`): ${error.message}`);
  });
  return ethersOnce;
}

/** The JSON-RPC URL to read the chain at: the one chosen here (kept in this browser), else the API's. */
export async function chainUrl() {
  return localStorage.getItem(RPC_KEY) || (await config()).chain_url || null;
}

/** Chooses the JSON-RPC URL (empty: back to the one the API names). */
export function setChainUrl(url) {
  if (url) localStorage.setItem(RPC_KEY, url);
  else localStorage.removeItem(RPC_KEY);
}

/** A JSON-RPC endpoint. */
export class Rpc {
  constructor(url) {
    this.url = url;
    this.id = 0;
  }

  async call(method, params = []) {
    let answer;
    try {
      answer = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }),
      });
    } catch (error) {
      throw new Error(`the chain at ${this.url} does not answer (${error.message})`);
    }
    const text = await answer.text();
    if (!answer.ok) throw new Error(`the chain at ${this.url} answered HTTP ${answer.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text);
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  }
}

/** The chain to read, checked to be the API's (same chain id): {rpc, deployed}. */
export async function openChain() {
  const url = await chainUrl();
  if (!url) throw new Error("no JSON-RPC URL: the API names none (an in-process chain); set one below");
  const rpc = new Rpc(url);
  const [deployed, chainId] = await Promise.all([contracts(), rpc.call("eth_chainId")]);
  if (Number(chainId) !== Number(deployed.chain_id)) {
    throw new Error(`the chain at ${url} is chain ${Number(chainId)}; the API's market is on chain ${deployed.chain_id}`);
  }
  return { rpc, deployed };
}

async function interfaces(deployed) {
  const { Interface } = await ethers();
  const byAddress = new Map();
  for (const [name, fragments] of [
    ["JobMarket", MARKET_EVENTS],
    ["Court", COURT_EVENTS],
    ["StakeManager", STAKE_EVENTS],
    ["AgoraToken", TOKEN_EVENTS],
  ]) {
    const address = deployed.contracts[name];
    if (address) byAddress.set(address.toLowerCase(), { name, iface: new Interface(fragments) });
  }
  return byAddress;
}

/** A log decoded by the contract that emitted it: {contract, event, args, logIndex} or null. */
function decode(byAddress, log) {
  const known = byAddress.get(String(log.address).toLowerCase());
  if (!known) return null;
  try {
    const parsed = known.iface.parseLog({ topics: log.topics, data: log.data });
    if (!parsed) return null;
    return { contract: known.name, event: parsed.name, args: parsed.args, fragment: parsed.fragment };
  } catch {
    return null;
  }
}

/** Runs `work` over `items`, `width` at a time. */
async function pool(items, width, work) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      while (queue.length) await work(queue.shift());
    }),
  );
}

/** The settlement events of a receipt, as the API would list them. */
function settlementsIn(byAddress, deployed, receipt) {
  const found = [];
  for (const log of receipt.logs) {
    const decoded = decode(byAddress, log);
    if (!decoded) continue;
    for (const [kind, [contract, event, who]] of Object.entries(SETTLEMENT_EVENTS)) {
      if (decoded.contract !== contract || decoded.event !== event) continue;
      const a = decoded.args;
      found.push({
        kind,
        job: String(a.jobId).toLowerCase(),
        account: String(a[who]).toLowerCase(),
        wei: BigInt(a.amount),
        reason: event === "WorkerSlashed" ? SLASH_REASONS[Number(a.reason)] ?? `reason ${a.reason}` : null,
        logIndex: Number(log.logIndex),
        used: false,
      });
    }
  }
  return found;
}

function judge(item, found, receipt) {
  const event = SETTLEMENT_EVENTS[item.kind]?.[1] || item.kind;
  if (receipt.status !== "0x1") return { state: "disagrees", says: "the transaction failed on chain: it moved nothing" };
  const block = Number(receipt.blockNumber);
  let wei;
  try {
    wei = weiOf(item.amount);
  } catch {
    return { state: "disagrees", says: `the API's amount ${JSON.stringify(item.amount)} is not an amount` };
  }
  const same = found.filter(
    (f) => !f.used && f.kind === item.kind && f.job === item.job_id.toLowerCase() && f.account === item.account.toLowerCase(),
  );
  const exact = same.find((f) => f.wei === wei && (item.kind !== "slashed" || f.reason === item.reason));
  if (exact && block === item.block) {
    exact.used = true;
    return { state: "confirmed", says: `${event} in block ${block}, log ${exact.logIndex}`, logIndex: exact.logIndex };
  }
  if (exact) {
    exact.used = true;
    return { state: "disagrees", says: `the transaction is in block ${block}, not ${item.block}` };
  }
  if (same.length) {
    const c = same[0];
    c.used = true;
    const reason = item.kind === "slashed" && c.reason !== item.reason ? ` for "${c.reason}"` : "";
    return { state: "disagrees", says: `the chain says ${agrOf(c.wei)} AGR${reason} (log ${c.logIndex})` };
  }
  return { state: "disagrees", says: `the transaction holds no ${event} of this job to this account` };
}

/**
 * Re-checks each settlement against its transaction's receipt: `onVerdict(item, verdict)` with
 * verdict {state: "confirmed" | "disagrees" | "error", says}. Returns the settlement events found on
 * chain in those transactions that no item accounts for ({tx, kind, job, account, wei, logIndex}).
 */
export async function checkSettlements(items, onVerdict) {
  const { rpc, deployed } = await openChain();
  const byAddress = await interfaces(deployed);
  const byTx = new Map();
  for (const item of items) {
    const key = item.tx_hash.toLowerCase();
    if (!byTx.has(key)) byTx.set(key, []);
    byTx.get(key).push(item);
  }
  const unaccounted = [];
  await pool([...byTx.keys()], 4, async (tx) => {
    const rows = byTx.get(tx);
    let receipt;
    try {
      receipt = await rpc.call("eth_getTransactionReceipt", [tx]);
    } catch (error) {
      for (const item of rows) onVerdict(item, { state: "error", says: error.message });
      return;
    }
    if (!receipt) {
      for (const item of rows) onVerdict(item, { state: "disagrees", says: "the chain knows no such transaction" });
      return;
    }
    const found = settlementsIn(byAddress, deployed, receipt);
    for (const item of rows) onVerdict(item, judge(item, found, receipt));
    for (const f of found) if (!f.used) unaccounted.push({ tx, ...f });
  });
  return unaccounted;
}

/** A transaction as the chain tells it: {tx, receipt, block, logs: [{log, decoded}]}. */
export async function readTransaction(hash) {
  const { rpc, deployed } = await openChain();
  const [tx, receipt] = await Promise.all([
    rpc.call("eth_getTransactionByHash", [hash]),
    rpc.call("eth_getTransactionReceipt", [hash]),
  ]);
  if (!tx) throw new Error(`the chain knows no transaction ${hash}`);
  const block = receipt ? await rpc.call("eth_getBlockByNumber", [receipt.blockNumber, false]) : null;
  const byAddress = await interfaces(deployed);
  const names = new Map(Object.entries(deployed.contracts).map(([name, address]) => [address.toLowerCase(), name]));
  const logs = (receipt?.logs || []).map((log) => ({ log, decoded: decode(byAddress, log) }));
  return { tx, receipt, block, logs, names, url: rpc.url };
}
