"""The Open Inference Protocol (v2), spoken by a client this project did not write: tritonclient[http]
against the real inference process, with a real token from the real auth service."""

from collections.abc import Iterator

import httpx
import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from testkit.stack import Account, LocalStack


@pytest.fixture(scope="module")
def owner(stack: LocalStack) -> Account:
    stack.start("auth")
    stack.start("inference")
    return stack.create_user()


@pytest.fixture(scope="module")
def client(stack: LocalStack, owner: Account) -> Iterator[triton.InferenceServerClient]:
    connection = triton.InferenceServerClient(url=stack.urls["inference"].removeprefix("http://"))
    yield connection
    connection.close()


def inputs(
    gender: list[str], age: list[float], income: list[float], *, binary: bool
) -> list[triton.InferInput]:
    tensors = [
        triton.InferInput("gender", [len(gender)], "BYTES"),
        triton.InferInput("age", [len(age)], "FP64"),
        triton.InferInput("annual_income", [len(income)], "FP64"),
    ]
    tensors[0].set_data_from_numpy(np.array(gender, dtype=np.object_), binary_data=binary)
    tensors[1].set_data_from_numpy(np.array(age, dtype=np.float64), binary_data=binary)
    tensors[2].set_data_from_numpy(np.array(income, dtype=np.float64), binary_data=binary)
    return tensors


def texts(tensor: np.ndarray) -> list[str]:
    """A BYTES output as text (binary tensors hold bytes, JSON ones str)."""
    return [value.decode() if isinstance(value, bytes) else value for value in tensor.tolist()]


def test_health_and_metadata(client: triton.InferenceServerClient, owner: Account) -> None:
    assert client.is_server_live()
    assert client.is_server_ready()
    assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
    assert client.is_model_ready("spendscore")
    metadata = client.get_model_metadata("spendscore", headers=owner.headers)
    assert [tensor["name"] for tensor in metadata["inputs"]] == ["gender", "age", "annual_income"]
    assert {tensor["name"] for tensor in metadata["outputs"]} >= {
        "spending_score",
        "interval_low",
        "interval_high",
        "band",
        "segment",
    }


@pytest.mark.parametrize("binary", [True, False], ids=["binary tensors", "JSON tensors"])
def test_infer_answers_what_the_batch_answers(
    client: triton.InferenceServerClient, stack: LocalStack, owner: Account, binary: bool
) -> None:
    gender, age, income = (
        ["female", "Male", "mulher", "m"],
        [31.0, 58.5, 19.0, 70.0],
        [70.0, 41.5, 15.0, 130.0],
    )
    outputs = [
        triton.InferRequestedOutput(name, binary_data=binary)
        for name in ("spending_score", "interval_low", "interval_high", "band", "segment")
    ]
    result = client.infer(
        "spendscore", inputs(gender, age, income, binary=binary), outputs=outputs, headers=owner.headers
    )
    items = [{"gender": g, "age": a, "annual_income": i} for g, a, i in zip(gender, age, income, strict=True)]
    batch = httpx.post(
        stack.urls["inference"] + "/model/predict/batch", json={"items": items}, headers=owner.headers
    ).json()["predictions"]
    assert result.as_numpy("spending_score").tolist() == [p["spending_score"] for p in batch]
    assert result.as_numpy("interval_low").tolist() == [p["interval"]["low"] for p in batch]
    assert result.as_numpy("interval_high").tolist() == [p["interval"]["high"] for p in batch]
    assert texts(result.as_numpy("band")) == [p["band"] for p in batch]
    assert texts(result.as_numpy("segment")) == [p["segment"]["id"] for p in batch]
    assert result.get_response()["model_version"] == batch[0]["model_version"]


def test_infer_with_every_output_by_default(client: triton.InferenceServerClient, owner: Account) -> None:
    result = client.infer(
        "spendscore", inputs(["f"] * 3, [20, 40, 60], [20, 60, 120], binary=True), headers=owner.headers
    )
    assert result.as_numpy("segment_probability").shape == (3,)
    assert result.as_numpy("spending_score").dtype == np.float64


def test_infer_needs_a_valid_token(client: triton.InferenceServerClient) -> None:
    with pytest.raises(InferenceServerException) as refused:
        client.infer("spendscore", inputs(["f"], [30], [50], binary=True))
    assert refused.value.status() == "401"
    with pytest.raises(InferenceServerException) as forged:
        client.infer(
            "spendscore", inputs(["f"], [30], [50], binary=True), headers={"Authorization": "Bearer x.y.z"}
        )
    assert forged.value.status() == "401"


@pytest.mark.parametrize("binary", [True, False], ids=["binary tensors", "JSON tensors"])
def test_bad_tensors_are_422_naming_the_input_and_row(
    client: triton.InferenceServerClient, owner: Account, binary: bool
) -> None:
    with pytest.raises(InferenceServerException) as bad_age:
        client.infer(
            "spendscore", inputs(["f", "m"], [30, 130], [50, 50], binary=binary), headers=owner.headers
        )
    assert bad_age.value.status() == "422"
    assert "age[1]" in bad_age.value.message()
    with pytest.raises(InferenceServerException) as bad_gender:
        client.infer(
            "spendscore", inputs(["f", "robot"], [30, 30], [50, 50], binary=binary), headers=owner.headers
        )
    assert "gender[1]" in bad_gender.value.message()


def test_unknown_model_and_too_many_rows(client: triton.InferenceServerClient, owner: Account) -> None:
    with pytest.raises(InferenceServerException) as unknown:
        client.infer("another", inputs(["f"], [30], [50], binary=True), headers=owner.headers)
    assert unknown.value.status() == "404"
    rows = 10_001
    with pytest.raises(InferenceServerException) as too_many:
        client.infer(
            "spendscore",
            inputs(["f"] * rows, [30.0] * rows, [50.0] * rows, binary=True),
            headers=owner.headers,
        )
    assert too_many.value.status() == "413"


def test_raw_protocol_errors_are_clear(stack: LocalStack, owner: Account) -> None:
    url = stack.urls["inference"] + "/v2/models/spendscore/infer"
    for body, words in (
        (b"[1, 2]", "JSON object"),
        (b'{"inputs": [{"name": "height", "datatype": "FP64", "shape": [1], "data": [1]}]}', "height"),
        (b'{"inputs": [{"name": "age", "datatype": "FP64", "shape": [1], "data": [30]}]}', "missing input"),
    ):
        response = httpx.post(
            url, content=body, headers={**owner.headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert words in response.json()["error"]
    truncated = httpx.post(
        url,
        content=b'{"inputs": []}',
        headers={**owner.headers, "Inference-Header-Content-Length": "999"},
    )
    assert truncated.status_code == 422
