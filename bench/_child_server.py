"""tests/openai_server.OpenAIServer in a child process, for benches whose client load would
otherwise share the server's interpreter (and its GIL)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable


def _serve(reply: Callable[[dict], dict], latency: float, queue: multiprocessing.Queue,
           stop: multiprocessing.Event) -> None:
    from tests.openai_server import OpenAIServer, Reply

    def handler(request: dict):
        body = reply(request)
        return Reply(200, body, delay=latency) if latency else body

    with OpenAIServer(chat=handler) as server:  # wide backlog, Nagle off: see the server
        queue.put(server.base_url)
        stop.wait()


class ChildServer:
    """`with ChildServer(reply, latency) as base_url:` a server answering every chat request
    with `reply(request)` (a module-level function: it is pickled) after `latency` seconds."""

    def __init__(self, reply: Callable[[dict], dict], latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.queue, self.stop = context.Queue(), context.Event()
        self.process = context.Process(target=_serve,
                                       args=(reply, latency, self.queue, self.stop))

    def __enter__(self) -> str:
        self.process.start()
        return self.queue.get(timeout=120)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.process.join(10)
