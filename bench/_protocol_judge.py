"""The development protocol's judge: a local OpenAI-compatible server (tests/openai_server.py)
answering the benchbuilder-v1 rubric as a perfect judge would, instantly: all 7 criteria for
an Arena-Hard v0.1 prompt, the offline heuristic judge's criteria cut to 5 for any other.

    python bench/_protocol_judge.py ANSWERS.json PORT_FILE

ANSWERS.json maps the sha256 of each prompt text (as judged: cut at max_prompt_chars) to its
criteria; a prompt not in it is answered from the heuristic on the spot (counted on stderr).
The server's base URL is written to PORT_FILE; it serves until killed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from miner.judge import heuristic  # noqa: E402
from miner.judge.rubric import load_rubric  # noqa: E402
from tests.openai_server import OpenAIServer, chat_body  # noqa: E402

PROMPT = re.compile(r"<prompt>\n(.*)\n</prompt>", re.S)


def main() -> None:
    answers = json.loads(Path(sys.argv[1]).read_text())
    rubric = load_rubric("benchbuilder-v1")
    unknown = [0]

    def judge(request: dict) -> dict:
        found = PROMPT.search(request["messages"][-1]["content"])
        text = found.group(1) if found else ""
        criteria = answers.get(hashlib.sha256(text.encode()).hexdigest())
        if criteria is None:
            unknown[0] += 1
            criteria = sorted(heuristic.judge_text(text, rubric))[:5]
        return chat_body(json.dumps({"criteria": criteria}), model=request["model"])

    with OpenAIServer(chat=judge) as server:
        Path(sys.argv[2]).write_text(server.base_url)
        try:
            threading.Event().wait()
        finally:
            print(f"protocol judge: {unknown[0]} prompts not in the answer file",
                  file=sys.stderr)


if __name__ == "__main__":
    main()
