// Deploy a compiled contract in an in-memory EVM (@ethereumjs/evm, with the
// BN254 precompiles 0x06-0x08) and make static calls to it.
// stdin: {"bytecode": "<hex>", "calls": [{"signature": "f(uint256[2])", "words": ["0x..", ...]}]}
// stdout: one JSON list, per call {"ok": bool, "result": "<hex>", "gas": n}
// Every argument is a static uint256 word, so the ABI encoding is the 4-byte
// selector followed by the words.
import { createEVM } from "@ethereumjs/evm";
import { hexToBytes, bytesToHex } from "@ethereumjs/util";
import { keccak256 } from "ethereum-cryptography/keccak.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const evm = await createEVM();
const gasLimit = 30_000_000n;
const deployed = await evm.runCall({ data: hexToBytes("0x" + request.bytecode), gasLimit });
if (deployed.execResult.exceptionError || !deployed.createdAddress) {
  console.error("deployment failed", deployed.execResult.exceptionError);
  process.exit(1);
}
const out = [];
for (const call of request.calls) {
  const selector = keccak256(new TextEncoder().encode(call.signature)).slice(0, 4);
  const words = call.words.map((w) => BigInt(w).toString(16).padStart(64, "0")).join("");
  const data = hexToBytes(bytesToHex(selector) + words);
  const res = await evm.runCall({ to: deployed.createdAddress, data, gasLimit, isStatic: true });
  out.push({
    ok: !res.execResult.exceptionError,
    result: bytesToHex(res.execResult.returnValue),
    gas: Number(res.execResult.executionGasUsed),
  });
}
console.log(JSON.stringify(out));
