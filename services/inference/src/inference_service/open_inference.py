"""The Open Inference Protocol (v2, as KServe, Triton, MLServer and Seldon speak it): request tensors in,
response tensors out, in JSON or with the binary tensor data extension (what ``tritonclient`` sends by
default). The numbers come from the same columnar core as ``/model/predict/columns``.

Inputs, each of shape [n] (or [n, 1]): ``gender`` (BYTES: any word ``/model/predict`` accepts),
``age`` and ``annual_income`` (FP64, FP32 or an integer type). Outputs: ``spending_score``,
``interval_low``, ``interval_high``, ``segment_probability`` (FP64), ``band`` and ``segment`` (BYTES).
"""

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from inference_service.columnar import ColumnError, TooManyRows, feature_matrix
from inference_service.predictor import PredictionColumns, SpendingScorePredictor

MODEL_NAME = "spendscore"
PLATFORM = "spendscore-numpy"
HEADER_LENGTH = "inference-header-content-length"
NUMERIC_TYPES = {
    "FP64": "<f8",
    "FP32": "<f4",
    "FP16": "<f2",
    "INT8": "<i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "UINT8": "<u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
}
INPUTS = (("gender", "BYTES"), ("age", "FP64"), ("annual_income", "FP64"))
OUTPUTS = (
    ("spending_score", "FP64"),
    ("interval_low", "FP64"),
    ("interval_high", "FP64"),
    ("band", "BYTES"),
    ("segment", "BYTES"),
    ("segment_probability", "FP64"),
)
OUTPUT_TYPES = dict(OUTPUTS)
MAX_STRING_BYTES = 64  # a gender word; longer elements are refused before they are decoded
_LENGTH = struct.Struct("<I")


class InferenceRequestError(ValueError):
    """The request is not a usable inference request: the message names the tensor (and the row)."""


@dataclass
class InferenceRequest:
    request_id: str | None
    columns: dict[str, Any]  # input name -> list of str (BYTES) or a float64 array
    outputs: list[tuple[str, bool]]  # (name, binary), in the order to answer them
    parameters: dict[str, Any] = field(default_factory=dict)


def server_metadata(version: str) -> dict[str, Any]:
    return {"name": "spendscore-inference", "version": version, "extensions": ["binary_tensor_data"]}


def model_metadata(model_version: str) -> dict[str, Any]:
    def tensors(specs: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
        return [{"name": name, "datatype": datatype, "shape": [-1]} for name, datatype in specs]

    return {
        "name": MODEL_NAME,
        "versions": [model_version],
        "platform": PLATFORM,
        "inputs": tensors(INPUTS),
        "outputs": tensors(OUTPUTS),
    }


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InferenceRequestError(f"the request is not valid JSON ({exc})") from None
    if not isinstance(parsed, dict):
        raise InferenceRequestError("the request must be a JSON object")
    return parsed


def _strings(raw: bytes, name: str) -> list[str]:
    """BYTES elements of the binary extension: each a 4-byte little-endian length and its bytes."""
    values: list[str] = []
    offset = 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise InferenceRequestError(f"input {name!r}: truncated binary data")
        (length,) = _LENGTH.unpack_from(raw, offset)
        offset += 4
        if length > MAX_STRING_BYTES or offset + length > len(raw):
            raise InferenceRequestError(f"input {name!r}[{len(values)}]: element too long or truncated")
        try:
            values.append(raw[offset : offset + length].decode())
        except UnicodeDecodeError:
            raise InferenceRequestError(f"input {name!r}[{len(values)}]: not UTF-8 text") from None
        offset += length
    return values


def _rows_of(tensor: dict[str, Any], name: str) -> int:
    shape = tensor.get("shape")
    if not isinstance(shape, list) or not all(type(size) is int and size >= 0 for size in shape):
        raise InferenceRequestError(f"input {name!r}: shape must be a list of sizes")
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return int(shape[0])
    raise InferenceRequestError(f"input {name!r}: shape must be [n] or [n, 1], got {shape}")


def _column(tensor: dict[str, Any], name: str, binary: bytes | None) -> Any:
    datatype = tensor.get("datatype")
    expected = dict(INPUTS)[name]
    rows = _rows_of(tensor, name)
    values: Any
    if expected == "BYTES":
        if datatype != "BYTES":
            raise InferenceRequestError(f"input {name!r}: datatype must be BYTES, got {datatype!r}")
        if binary is not None:
            values = _strings(binary, name)
        else:
            values = np.ravel(np.asarray(tensor.get("data", []), dtype=object)).tolist()
            if not all(isinstance(value, str) for value in values):
                raise InferenceRequestError(f"input {name!r}: every element must be text")
    else:
        if datatype not in NUMERIC_TYPES:
            raise InferenceRequestError(
                f"input {name!r}: datatype must be one of {', '.join(NUMERIC_TYPES)}, got {datatype!r}"
            )
        try:
            if binary is not None:
                values = np.frombuffer(binary, dtype=NUMERIC_TYPES[datatype])
            else:
                values = np.ravel(np.asarray(tensor.get("data", []), dtype=np.float64))
        except (ValueError, TypeError):
            raise InferenceRequestError(f"input {name!r}: the data are not {datatype} numbers") from None
    if len(values) != rows:
        raise InferenceRequestError(
            f"input {name!r}: shape says {rows} elements, the data hold {len(values)}"
        )
    return values


def parse_request(body: bytes, header_length: str | None) -> InferenceRequest:
    """The request's columns and wanted outputs; raises InferenceRequestError naming what is wrong."""
    binary_part = b""
    if header_length is not None:
        try:
            split = int(header_length)
        except ValueError:
            raise InferenceRequestError("Inference-Header-Content-Length must be a number") from None
        if not 0 < split <= len(body):
            raise InferenceRequestError("Inference-Header-Content-Length is outside the body")
        body, binary_part = body[:split], body[split:]
    request = _json_object(body)
    inputs = request.get("inputs")
    if not isinstance(inputs, list) or not all(isinstance(tensor, dict) for tensor in inputs):
        raise InferenceRequestError("'inputs' must be a list of tensors")
    columns: dict[str, Any] = {}
    offset = 0
    for tensor in inputs:
        name = tensor.get("name")
        if name not in dict(INPUTS):
            raise InferenceRequestError(f"unknown input {name!r}; the inputs are gender, age, annual_income")
        if name in columns:
            raise InferenceRequestError(f"input {name!r} is given twice")
        size = (tensor.get("parameters") or {}).get("binary_data_size")
        binary = None
        if size is not None:
            if type(size) is not int or size < 0 or offset + size > len(binary_part):
                raise InferenceRequestError(f"input {name!r}: binary_data_size is outside the body")
            binary, offset = binary_part[offset : offset + size], offset + size
        columns[name] = _column(tensor, name, binary)
    missing = [name for name, _ in INPUTS if name not in columns]
    if missing:
        raise InferenceRequestError(f"missing input {', '.join(repr(name) for name in missing)}")
    parameters = request.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InferenceRequestError("'parameters' must be an object")
    all_binary = parameters.get("binary_data_output") is True
    wanted = request.get("outputs")
    outputs: list[tuple[str, bool]] = []
    if wanted is None:
        outputs = [(name, all_binary) for name, _ in OUTPUTS]
    elif isinstance(wanted, list) and all(isinstance(output, dict) for output in wanted):
        for output in wanted:
            name = output.get("name")
            if name not in OUTPUT_TYPES:
                raise InferenceRequestError(
                    f"unknown output {name!r}; the outputs are {', '.join(OUTPUT_TYPES)}"
                )
            as_binary = (output.get("parameters") or {}).get("binary_data", all_binary) is True
            outputs.append((name, as_binary))
    else:
        raise InferenceRequestError("'outputs' must be a list of {name} objects")
    request_id = request.get("id")
    request_id = None if request_id is None else str(request_id)[:200]
    return InferenceRequest(request_id, columns, outputs, parameters)


def features_of(request: InferenceRequest) -> np.ndarray:
    try:
        return feature_matrix(
            request.columns["gender"], request.columns["age"], request.columns["annual_income"]
        )
    except ColumnError as exc:
        raise InferenceRequestError(f"input {exc}") from None
    except TooManyRows:
        raise


def _output_values(name: str, predictor: SpendingScorePredictor, columns: PredictionColumns) -> list[Any]:
    if name == "segment":
        ids = [str(segment["id"]) for segment in predictor.segments]
        return [ids[segment] for segment in columns.segment]
    values: list[Any] = getattr(columns, name)
    return values


def encode_response(
    request: InferenceRequest, predictor: SpendingScorePredictor, columns: PredictionColumns
) -> tuple[bytes, int | None]:
    """The response body, and the length of its JSON part when binary tensors follow it."""
    rows = len(columns.spending_score)
    tensors, chunks = [], []
    for name, binary in request.outputs:
        values = _output_values(name, predictor, columns)
        tensor: dict[str, Any] = {"name": name, "datatype": OUTPUT_TYPES[name], "shape": [rows]}
        if binary:
            if OUTPUT_TYPES[name] == "BYTES":
                encoded = [value.encode() for value in values]
                chunk = b"".join(_LENGTH.pack(len(value)) + value for value in encoded)
            else:
                chunk = np.asarray(values, dtype="<f8").tobytes()
            tensor["parameters"] = {"binary_data_size": len(chunk)}
            chunks.append(chunk)
        else:
            tensor["data"] = values
        tensors.append(tensor)
    answer: dict[str, Any] = {"model_name": MODEL_NAME, "model_version": predictor.version}
    answer["outputs"] = tensors
    if request.request_id is not None:
        answer["id"] = request.request_id
    head = orjson.dumps(answer)
    if not chunks:
        return head, None
    return head + b"".join(chunks), len(head)
