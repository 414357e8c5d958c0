"""The test server answers the real `openai` client over a socket."""

import openai
import pytest

from tests.openai_server import OpenAIServer, Reply, chat_body, embeddings_body


def test_chat_and_embeddings_round_trip():
    with OpenAIServer(
        chat=lambda req: chat_body("echo:" + req["messages"][-1]["content"]),
        embeddings=lambda req: embeddings_body([[1.0, 0.0]] * len(req["input"])),
    ) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        answer = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
        vectors = client.embeddings.create(model="m", input=["a", "b"])
    assert answer.choices[0].message.content == "echo:hi"
    assert [d.embedding for d in vectors.data] == [[1.0, 0.0], [1.0, 0.0]]
    assert [path for path, _ in server.requests] == ["/v1/chat/completions", "/v1/embeddings"]


def test_scripted_error_reaches_the_client():
    with OpenAIServer(chat=lambda req: Reply(500, {"error": {"message": "boom"}})) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
