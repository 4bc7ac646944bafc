// The REST API (docs/api.md): JSON in and out, every error an RFC 9457 problem.

/** An answer that is not a success, with its problem (type, title, detail, the contract error). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  get kind() {
    return String(this.problem.type || "").replace(/^\/problems\//, "");
  }
}

function url(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") query.set(key, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The raw response of `method path`; a problem is thrown as an ApiError. */
export async function request(path, { method = "GET", params, body, headers, signal } = {}) {
  let answer;
  try {
    answer = await fetch(url(path, params), { method, body, headers, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { title: "The API does not answer", detail: `${path}: ${error.message}` });
  }
  if (answer.ok) return answer;
  let problem;
  try {
    problem = await answer.json();
  } catch {
    problem = { title: `HTTP ${answer.status}`, detail: answer.statusText };
  }
  if (typeof problem !== "object" || problem === null) problem = { detail: String(problem) };
  throw new ApiError(answer.status, problem);
}

/** GET path with params, as JSON. */
export async function get(path, params, options = {}) {
  return (await request(path, { ...options, params })).json();
}

/** POST a JSON body, as JSON. */
export async function post(path, body) {
  const answer = await request(path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" },
  });
  return answer.json();
}

/** Every item of a paged list (following `next`), up to `max`, `size` a page (`/v1/workers` takes 100). */
export async function all(path, params = {}, max = 1000, size = 200) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(path, { ...params, limit: size, cursor });
    items.push(...page.items);
    cursor = page.next;
  } while (cursor && items.length < max);
  return items;
}

let contractsOnce = null;
/** `/v1/contracts` (chain id, deployment block, addresses), fetched once. */
export function contracts() {
  contractsOnce ??= get("/v1/contracts").catch((error) => {
    contractsOnce = null;
    throw error;
  });
  return contractsOnce;
}

let configOnce = null;
/** What the API tells the dashboard at start (`/ui/config.json`: the chain's JSON-RPC URL). */
export function config() {
  configOnce ??= get("config.json").catch(() => ({ chain_url: null }));
  return configOnce;
}

let namesAt = 0;
let namesOnce = null;
/** Workers' verified names by address (from `/v1/workers`), kept for 30 s: how accounts are shown. */
export function workerNames() {
  if (!namesOnce || Date.now() - namesAt > 30_000) {
    namesAt = Date.now();
    namesOnce = all("/v1/workers", {}, 1000, 100)
      .then((workers) => new Map(workers.filter((w) => w.name).map((w) => [w.address.toLowerCase(), w.name])))
      .catch(() => new Map());
  }
  return namesOnce;
}
