/* HipSeal: seal in the browser, byte for byte the format of crypto/envelope.py and crypto/stream.py.
 * Plain classic script (no build, no imports, nothing from another origin); also loads in node 20.
 * Envelope v1: 0x01 | key_id(8) | ephemeral_public(65) | nonce(12) | AES-256-GCM(frame)+tag(16). */
(function (root) {
  "use strict";

  var VERSION = 1;
  var HEADER_LENGTH = 86;
  var TAG_LENGTH = 16;
  var MIN_BUCKET = 256;
  var LARGE_STEP = 65536;
  var ECDH = { name: "ECDH", namedCurve: "P-256" };
  var encoder = new TextEncoder();

  function subtle() {
    return root.crypto && root.crypto.subtle;
  }

  function randomBytes(n) {
    return root.crypto.getRandomValues(new Uint8Array(n));
  }

  function concat(parts) {
    var total = 0;
    parts.forEach(function (p) { total += p.length; });
    var out = new Uint8Array(total);
    var offset = 0;
    parts.forEach(function (p) { out.set(p, offset); offset += p.length; });
    return out;
  }

  function uint(value, width) { // big-endian unsigned integer of `width` bytes
    var out = new Uint8Array(width);
    for (var i = width - 1; i >= 0; i--) { out[i] = value % 256; value = Math.floor(value / 256); }
    return out;
  }

  // Canonical associated data: "hip-ad-v1" then each field as 2-byte length + UTF-8.
  function context() {
    var parts = [encoder.encode("hip-ad-v1")];
    for (var i = 0; i < arguments.length; i++) {
      var field = encoder.encode(String(arguments[i]));
      if (field.length > 0xffff) throw new RangeError("a context field must encode to at most 65535 bytes");
      parts.push(uint(field.length, 2), field);
    }
    return concat(parts);
  }

  // Padding buckets: powers of two from 256 to 64 KiB, then multiples of 64 KiB.
  function bucket(framedSize) {
    if (framedSize <= MIN_BUCKET) return MIN_BUCKET;
    if (framedSize <= LARGE_STEP) { var b = MIN_BUCKET; while (b < framedSize) b *= 2; return b; }
    return Math.ceil(framedSize / LARGE_STEP) * LARGE_STEP;
  }

  function frame(plaintext) { // 4-byte length + payload + zero bytes up to the bucket
    var framed = new Uint8Array(bucket(plaintext.length + 4));
    framed.set(uint(plaintext.length, 4), 0);
    framed.set(plaintext, 4);
    return framed;
  }

  function unframe(framed) {
    var length = ((framed[0] << 24) >>> 0) + (framed[1] << 16) + (framed[2] << 8) + framed[3];
    if (length > framed.length - 4) throw new Error("envelope opens but its padding is invalid");
    for (var i = 4 + length; i < framed.length; i++) {
      if (framed[i] !== 0) throw new Error("envelope opens but its padding is invalid");
    }
    return framed.slice(4, 4 + length);
  }

  async function keyId(publicRaw) {
    return new Uint8Array(await subtle().digest("SHA-256", publicRaw)).slice(0, 8);
  }

  // ECDH -> HKDF-SHA256 (empty salt = zero salt) -> AES-256-GCM key.
  async function envelopeKey(privateKey, publicKey, recipientId, ephemeralRaw, usage) {
    var shared = await subtle().deriveBits({ name: "ECDH", public: publicKey }, privateKey, 256);
    var material = await subtle().importKey("raw", shared, "HKDF", false, ["deriveKey"]);
    var info = concat([encoder.encode("hip-envelope-v1"), recipientId, ephemeralRaw]);
    return subtle().deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: info },
      material, { name: "AES-GCM", length: 256 }, false, [usage]);
  }

  async function seal(recipientPublicRaw, plaintext, associatedData) {
    var raw = recipientPublicRaw;
    if (!(raw instanceof Uint8Array) || raw.length !== 65 || raw[0] !== 4) {
      throw new TypeError("recipient public key must be a 65-byte uncompressed P-256 point");
    }
    var recipient = await subtle().importKey("raw", recipientPublicRaw, ECDH, false, []);
    var ephemeral = await subtle().generateKey(ECDH, false, ["deriveBits"]);
    var ephemeralRaw = new Uint8Array(await subtle().exportKey("raw", ephemeral.publicKey));
    var recipientId = await keyId(recipientPublicRaw);
    var nonce = randomBytes(12);
    var header = concat([new Uint8Array([VERSION]), recipientId, ephemeralRaw, nonce]);
    var key = await envelopeKey(ephemeral.privateKey, recipient, recipientId, ephemeralRaw, "encrypt");
    var sealed = await subtle().encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: concat([header, associatedData]), tagLength: 128 },
      key, frame(plaintext));
    return concat([header, new Uint8Array(sealed)]);
  }

  function base64url(bytes) {
    var text = "";
    bytes.forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // JWK for a P-256 private key from its 32-byte scalar and 65-byte public point.
  function privateJwk(scalar, publicRaw) {
    return { kty: "EC", crv: "P-256", d: base64url(scalar),
             x: base64url(publicRaw.slice(1, 33)), y: base64url(publicRaw.slice(33, 65)), ext: true };
  }

  // Open an envelope; privateKey is a JWK object or PKCS8 bytes. Used by the interop tests.
  async function open(privateKey, envelope, associatedData) {
    var jwk = privateKey;
    if (privateKey instanceof Uint8Array) {
      var imported = await subtle().importKey("pkcs8", privateKey, ECDH, true, ["deriveBits"]);
      jwk = await subtle().exportKey("jwk", imported);
    }
    var key = await subtle().importKey("jwk", jwk, ECDH, false, ["deriveBits"]);
    var ownRaw = concat([new Uint8Array([4]), b64decode(jwk.x), b64decode(jwk.y)]);
    if (envelope.length < HEADER_LENGTH + MIN_BUCKET + TAG_LENGTH || envelope[0] !== VERSION) {
      throw new Error("envelope is truncated or has an unknown version");
    }
    var recipientId = envelope.slice(1, 9);
    var ownId = await keyId(ownRaw);
    if (ownId.some(function (b, i) { return b !== recipientId[i]; })) {
      throw new Error("envelope is sealed to another key");
    }
    var ephemeralRaw = envelope.slice(9, 74);
    var ephemeral = await subtle().importKey("raw", ephemeralRaw, ECDH, false, []);
    var aes = await envelopeKey(key, ephemeral, recipientId, ephemeralRaw, "decrypt");
    var framed = await subtle().decrypt(
      { name: "AES-GCM", iv: envelope.slice(74, 86),
        additionalData: concat([envelope.slice(0, HEADER_LENGTH), associatedData]), tagLength: 128 },
      aes, envelope.slice(HEADER_LENGTH));
    return unframe(new Uint8Array(framed));
  }

  function b64decode(text) {
    var bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function newFileKey() {
    return randomBytes(32);
  }

  // Stream format: header 0x01 | prefix(7) | chunk_size(4); nonce = prefix | index(4) | last(1).
  // Full chunks first, then a final chunk with the remainder (possibly empty).
  async function sealChunks(fileKeyRaw, data, associatedData, chunkSize) {
    chunkSize = chunkSize || 65536;
    if (fileKeyRaw.length !== 32) throw new TypeError("file key must be 32 bytes");
    if (!(chunkSize >= 1 && chunkSize <= 16777216)) throw new RangeError("chunk size must be 1 to 16 MiB");
    var key = await subtle().importKey("raw", fileKeyRaw, "AES-GCM", false, ["encrypt"]);
    var prefix = randomBytes(7);
    var header = concat([new Uint8Array([VERSION]), prefix, uint(chunkSize, 4)]);
    var ad = concat([header, associatedData]);
    var full = Math.floor(data.length / chunkSize);
    var chunks = [];
    for (var i = 0; i <= full; i++) {
      var last = i === full;
      var nonce = concat([prefix, uint(i, 4), new Uint8Array([last ? 1 : 0])]);
      var part = data.subarray(i * chunkSize, last ? data.length : (i + 1) * chunkSize);
      var sealed = await subtle().encrypt({ name: "AES-GCM", iv: nonce, additionalData: ad, tagLength: 128 },
        key, part);
      chunks.push(new Uint8Array(sealed));
    }
    return { header: header, chunks: chunks };
  }

  // True only if this browser can seal here: secure context and every primitive, tried for real.
  async function isSupported() {
    try {
      if (typeof root.window !== "undefined" && root.isSecureContext !== true) return false;
      if (!subtle() || typeof root.crypto.getRandomValues !== "function") return false;
      var probe = await subtle().generateKey(ECDH, false, ["deriveBits"]);
      var probeRaw = new Uint8Array(await subtle().exportKey("raw", probe.publicKey));
      var envelope = await seal(probeRaw, new Uint8Array([1, 2, 3]), context("probe"));
      var stream = await sealChunks(newFileKey(), new Uint8Array(5), context("probe"), 4);
      return envelope.length === HEADER_LENGTH + MIN_BUCKET + TAG_LENGTH && stream.chunks.length === 2;
    } catch (e) {
      return false;
    }
  }

  var HipSeal = {
    isSupported: isSupported,
    context: context,
    seal: seal,
    open: open,
    privateJwk: privateJwk,
    sealChunks: sealChunks,
    newFileKey: newFileKey
  };
  root.HipSeal = HipSeal;
  if (typeof module !== "undefined" && module.exports) module.exports = HipSeal;
})(typeof globalThis !== "undefined" ? globalThis : typeof self !== "undefined" ? self : this);
