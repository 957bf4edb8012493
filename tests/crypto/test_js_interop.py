"""The browser sealing script (static/js/seal.js, run by node) and Python read each other's bytes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from crypto import (
    DecryptionError,
    context,
    generate_private_key,
    new_file_key,
    open_chunks,
    open_envelope,
    private_key_bytes,
    public_key_bytes,
    seal,
)

NODE = shutil.which("node")
HELPER = Path(__file__).with_name("js_interop.mjs")
FIELDS = ["report", "人民医院", "心内科"]
AD = context(*FIELDS)
MESSAGE = "主任收了病人家属 2000 元红包。".encode() + bytes(range(256)) + b"\x00\xff" * 300

pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is not installed; the browser sealing script cannot run"
)


def node(request: dict[str, Any]) -> dict[str, Any]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(HELPER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_given_node_then_the_script_reports_webcrypto_support() -> None:
    assert node({"op": "supported"}) == {"supported": True}


def test_given_the_same_fields_then_js_and_python_build_the_same_context() -> None:
    assert bytes.fromhex(node({"op": "context", "context": FIELDS})["context"]) == AD


def test_given_a_report_sealed_in_js_when_python_opens_it_then_it_reads_the_same_bytes() -> None:
    # Given the office key made in Python
    office = generate_private_key()
    # When the browser script seals a report in Chinese with binary bytes
    answer = node(
        {
            "op": "seal",
            "public": public_key_bytes(office.public_key()).hex(),
            "plaintext": MESSAGE.hex(),
            "context": FIELDS,
        }
    )
    envelope = bytes.fromhex(answer["envelope"])
    # Then Python opens it, the padding follows the same buckets, and the AD binds it
    assert open_envelope(office, envelope, associated_data=AD) == MESSAGE
    assert len(envelope) == 86 + 1024 + 16
    with pytest.raises(DecryptionError):
        open_envelope(office, envelope, associated_data=context("report", "人民医院", "外科"))


@pytest.mark.parametrize("key_form", ["jwk", "pkcs8"])
def test_given_an_envelope_sealed_in_python_when_js_opens_it_then_it_reads_the_same_bytes(
    key_form: str,
) -> None:
    office = generate_private_key()
    envelope = seal(office.public_key(), MESSAGE, associated_data=AD)
    request: dict[str, Any] = {"op": "open", "envelope": envelope.hex(), "context": FIELDS}
    if key_form == "jwk":
        request |= {
            "scalar": private_key_bytes(office).hex(),
            "public": public_key_bytes(office.public_key()).hex(),
        }
    else:
        request["pkcs8"] = office.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()).hex()
    assert bytes.fromhex(node(request)["plaintext"]) == MESSAGE


@pytest.mark.parametrize(("size", "chunk_size"), [(0, 64), (64, 64), (1000, 64), (70_000, 65536)])
def test_given_a_file_streamed_in_js_when_python_opens_the_chunks_then_it_reads_the_file(
    size: int, chunk_size: int
) -> None:
    key = new_file_key()
    data = bytes(i % 251 for i in range(size))
    answer = node(
        {"op": "chunks", "key": key.hex(), "data": data.hex(), "context": FIELDS, "chunkSize": chunk_size}
    )
    header = bytes.fromhex(answer["header"])
    chunks = [bytes.fromhex(c) for c in answer["chunks"]]
    assert len(chunks) == size // chunk_size + 1
    assert b"".join(open_chunks(key, header, chunks, associated_data=AD)) == data
