// Runs static/js/seal.js the way a browser does (a classic script) and answers one request.
// Usage: node js_interop.mjs < request.json ; request = {op, ...hex fields}; prints a JSON answer.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const scriptPath = fileURLToPath(new URL("../../static/js/seal.js", import.meta.url));
vm.runInThisContext(readFileSync(scriptPath, "utf8"), { filename: scriptPath });
const HipSeal = globalThis.HipSeal;

const fromHex = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));
const toHex = (bytes) => Buffer.from(bytes).toString("hex");

const request = JSON.parse(readFileSync(0, "utf8"));
const ad = HipSeal.context(...(request.context || []));
let answer;
switch (request.op) {
  case "supported":
    answer = { supported: await HipSeal.isSupported() };
    break;
  case "context":
    answer = { context: toHex(ad) };
    break;
  case "seal":
    answer = { envelope: toHex(await HipSeal.seal(fromHex(request.public), fromHex(request.plaintext), ad)) };
    break;
  case "open": {
    const key = request.pkcs8
      ? fromHex(request.pkcs8)
      : HipSeal.privateJwk(fromHex(request.scalar), fromHex(request.public));
    answer = { plaintext: toHex(await HipSeal.open(key, fromHex(request.envelope), ad)) };
    break;
  }
  case "chunks": {
    const sealed = await HipSeal.sealChunks(fromHex(request.key), fromHex(request.data), ad, request.chunkSize);
    answer = { header: toHex(sealed.header), chunks: sealed.chunks.map(toHex) };
    break;
  }
  default:
    throw new Error(`unknown op ${request.op}`);
}
process.stdout.write(JSON.stringify(answer));
