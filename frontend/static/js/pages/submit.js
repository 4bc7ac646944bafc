// Submitting a job from the browser, as `agora job submit` does: the program and the input are
// uploaded through the API (each upload signed, EIP-712 StorePut), then the request is signed
// (EIP-712 JobRequest) and sent to POST /v1/jobs. A browser wallet signs when there is one; on a
// development chain a development account can sign instead (its key is public: never real money).

import { contracts, get } from "../api.js";
import { fill, h } from "../dom.js";
import { jobLink, problem, weiOf } from "../format.js";
import { devSigner, digestOf, isDevChain, newRequest, regionsMask, submit, upload, walletSigner } from "../sign.js";

export const NAME = "submit";

/** A form that cannot be sent as it is filled in. */
class FormError extends Error {
  title = "Check the form";
}

function field(label, input, hint) {
  return h("label", { class: "field" }, h("span", null, label), input, hint ? h("small", null, hint) : null);
}

async function bytesOf(fileInput, textInput) {
  const file = fileInput.files[0];
  if (file) return new Uint8Array(await file.arrayBuffer());
  if (textInput && textInput.value) return new TextEncoder().encode(textInput.value);
  return null;
}

export async function render(view) {
  const deployed = await contracts();
  const dev = isDevChain(deployed.chain_id);
  const wallet = Boolean(window.ethereum);
  const log = h("ol", { id: "submit-log", class: "steps" });
  const outcome = h("div", { id: "submit-result", "aria-live": "polite" });
  const say = (text, ...rest) => log.append(h("li", null, text, ...rest));

  const form = h(
    "form",
    { class: "submit-form", id: "submit-form" },
    h(
      "fieldset",
      null,
      h("legend", null, "What to run"),
      field("Program", h("input", { type: "file", name: "program", accept: ".wasm,application/wasm", required: true }), "a WebAssembly module (examples/programs/build/*.wasm)"),
      field("Input file", h("input", { type: "file", name: "inputFile" }), "its standard input…"),
      field("…or input text", h("textarea", { name: "inputText", rows: 3, placeholder: "one two three" })),
    ),
    h(
      "fieldset",
      null,
      h("legend", null, "Terms"),
      h(
        "div",
        { class: "row" },
        field("Slots (k)", h("input", { type: "number", name: "k", min: 1, max: 8, value: 3, required: true })),
        field("Quorum (q)", h("input", { type: "number", name: "q", min: 1, max: 8, placeholder: "majority" })),
        field("Fuel limit", h("input", { type: "number", name: "fuel", min: 1, value: 1000000, required: true })),
      ),
      h(
        "div",
        { class: "row" },
        field("Minimum price (AGR)", h("input", { name: "min", value: "1", inputmode: "decimal", required: true })),
        field("Maximum price (AGR)", h("input", { name: "max", value: "10", inputmode: "decimal", required: true })),
        field("Regions", h("input", { name: "regions", placeholder: "anywhere (or eu,ch)" })),
      ),
      h("p", { class: "muted" }, "The ask rises from the minimum to the maximum over ten minutes; each worker locks a slot once it reaches its own price. An hour each to lock, compute and reveal; collateral the larger of 50 AGR and the market's least."),
    ),
    h(
      "fieldset",
      null,
      h("legend", null, "Who signs"),
      h(
        "label",
        { class: "choice" },
        h("input", { type: "radio", name: "signer", value: "wallet", checked: wallet, disabled: !wallet }),
        wallet ? "Browser wallet (window.ethereum)" : "Browser wallet — none found in this browser",
      ),
      dev
        ? h(
            "label",
            { class: "choice dev" },
            h("input", { type: "radio", name: "signer", value: "dev", checked: !wallet }),
            "Development account dev:",
            h("input", { type: "number", name: "devIndex", min: 0, max: 99, value: 1, class: "tiny" }),
            h("span", { class: "warning" }, `development only: chain ${deployed.chain_id}'s development keys come from a public mnemonic`),
          )
        : h("p", { class: "muted" }, `Chain ${deployed.chain_id} is not a development chain: sign with your wallet.`),
      h("p", { class: "muted" }, "The requester needs a market deposit covering the escrow (the maximum price per slot, plus fees)."),
    ),
    h("button", { type: "submit", class: "primary" }, "Upload, sign and submit"),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fill(log);
    fill(outcome);
    try {
      const e = form.elements;
      const k = Number(e.k.value);
      const q = e.q.value ? Number(e.q.value) : null;
      const [minPrice, maxPrice] = [e.min.value, e.max.value].map((value) => {
        try {
          return weiOf(value);
        } catch (error) {
          throw new FormError(error.message);
        }
      });
      if (minPrice > maxPrice) throw new FormError(`the minimum price ${e.min.value} is above the maximum ${e.max.value}`);
      if (q !== null && q > k) throw new FormError(`a quorum of ${q} is more than the ${k} slots`);
      const codes = e.regions.value.split(",").map((x) => x.trim().toLowerCase()).filter(Boolean);
      let regions;
      try {
        regions = regionsMask(codes);
      } catch (error) {
        throw new FormError(error.message);
      }
      const program = await bytesOf(e.program);
      const input = await bytesOf(e.inputFile, e.inputText);
      if (!program) throw new FormError("choose a program (.wasm)");
      if (!input) throw new FormError("give an input: a file or some text");
      const choice = form.querySelector("input[name=signer]:checked")?.value;
      if (!choice) throw new FormError("no way to sign: this browser has no wallet and the chain is not a development chain");
      const signer = choice === "wallet" ? await walletSigner() : await devSigner(Number(e.devIndex.value));
      say(`signing as ${signer.label} (${signer.address})`);
      const programCid = await upload(program, signer, { regions: codes });
      say("program uploaded: ", h("code", null, programCid), ` (${program.byteLength.toLocaleString()} bytes)`);
      const inputCid = await upload(input, signer, { regions: codes });
      say("input uploaded: ", h("code", null, inputCid), ` (${input.byteLength.toLocaleString()} bytes)`);
      const now = (await get("/healthz")).chain_time;
      const request = newRequest(now, {
        requester: signer.address,
        programId: digestOf(programCid),
        inputDigest: digestOf(inputCid),
        redundancy: k,
        quorum: q,
        minPrice,
        maxPrice,
        fuelLimit: e.fuel.value,
        regions,
      });
      const accepted = await submit(request, signer);
      say(`request signed and ${accepted.status}; escrow ${accepted.escrow} AGR`);
      fill(
        outcome,
        h(
          "div",
          { class: "notice ok", dataset: { job: accepted.job_id } },
          h("strong", null, "Submitted: "),
          "job ",
          jobLink(accepted.job_id, 32),
          ` (${accepted.status}). `,
          h("a", { href: `#/jobs/${accepted.job_id}` }, "Follow it"),
        ),
      );
    } catch (error) {
      fill(outcome, problem(error));
    } finally {
      button.disabled = false;
    }
  });

  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, "Submit a job")),
    h("p", { class: "muted" }, "Everything is signed in this browser; the key never leaves it."),
    form,
    log,
    outcome,
  );
}
