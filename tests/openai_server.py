"""A local OpenAI-compatible HTTP server for tests: real sockets, scripted behaviour.

Each route calls a handler with the parsed JSON request; the handler returns a dict (sent as
200 JSON) or a `Reply` (any status, headers, raw or JSON body, optional delay, optionally
chunked with no Content-Length), so tests can script correct answers, malformed ones, 429s
with Retry-After, 500s, slow responses, endless ones and ones that drip a byte at a time.
`sent` holds the body bytes each reply got out before the client hung up.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[dict], "dict | Reply"]


@dataclass
class Reply:
    """A scripted HTTP response."""

    status: int = 200
    body: dict | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False
    drip: float = 0.0   # seconds between the body's bytes, sent one at a time (0: all at once)


def chat_body(
    content: str, model: str = "m", prompt_tokens: int = 10, completion_tokens: int = 5
) -> dict:
    """A minimal `chat.completion` response carrying `content`."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def embeddings_body(vectors: list[list[float]], model: str = "m") -> dict:
    """A minimal embeddings response carrying `vectors` in order."""
    return {
        "object": "list",
        "model": model,
        "data": [
            {"object": "embedding", "index": i, "embedding": list(map(float, v))}
            for i, v in enumerate(vectors)
        ],
        "usage": {"prompt_tokens": len(vectors), "total_tokens": len(vectors)},
    }


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # concurrency-64 clients overflow the default backlog of 5


class OpenAIServer:
    """Serve `/v1/chat/completions` and `/v1/embeddings` on 127.0.0.1 in a thread."""

    def __init__(self, chat: Handler | None = None, embeddings: Handler | None = None) -> None:
        self.routes: dict[str, Handler | None] = {
            "/v1/chat/completions": chat,
            "/v1/embeddings": embeddings,
        }
        self.requests: list[tuple[str, dict]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.sent: list[int] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self._make_handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """Base URL to hand to the `openai` client."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without this each reply waits
            # ~40 ms for the client's delayed ACK (Nagle).
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    request = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    self._send(Reply(400, {"error": {"message": "invalid JSON"}}))
                    return
                with server._lock:
                    server.requests.append((self.path, request))
                    server.headers_seen.append(dict(self.headers))
                handler = server.routes.get(self.path)
                if handler is None:
                    self._send(Reply(404, {"error": {"message": f"no route {self.path}"}}))
                    return
                try:
                    reply = handler(request)
                except Exception as exc:  # a broken handler is a test bug: report it as 500
                    reply = Reply(500, {"error": {"message": f"handler failed: {exc!r}"}})
                self._send(reply if isinstance(reply, Reply) else Reply(200, reply))

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body if reply.body is not None else {}
                payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                sent = 0
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    if reply.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if reply.drip:
                        for byte in range(len(payload)):
                            self.wfile.write(payload[byte:byte + 1])
                            self.wfile.flush()
                            sent += 1
                            time.sleep(reply.drip)
                    elif not reply.chunked:
                        self.wfile.write(payload)
                        sent = len(payload)
                    else:
                        for start in range(0, len(payload), 1 << 16):
                            block = payload[start:start + (1 << 16)]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                            sent += len(block)
                        self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a timeout, a cap)
                with server._lock:
                    server.sent.append(sent)

        return _Handler
