"""A JSON-lines subprocess agent for tests: one request per stdin line, one answer per stdout line.

Markers in the message text choose the behaviour of one case:
  [tool=name]   answer with a tool call
  [crash]       write to stderr and exit with code 3 mid-case
  [crash-once]  like [crash] the first time this text is seen (marker files in --state-dir)
  [error]       answer {"error": ...} after writing to stderr
  [garbage]     answer a line that is not JSON
  [sleep=S]     sleep S seconds first
  [hang]        never answer
  [barrier=DIR:N]  mark DIR, then wait (up to 60 s) until N processes have marked it: answers only when N
                cases run at once, else an error (proves parallel serving without a clock)
Flags: --fail-start (exit at once), --latency-ms N (sleep before every answer).
The answer's "model" is "pid-<pid>" so tests can see which process served a case.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path


def text_of(case_input: object) -> str:
    if isinstance(case_input, str):
        return case_input
    if isinstance(case_input, dict) and isinstance(case_input.get("messages"), list):
        return " ".join(str(m.get("content", "")) for m in case_input["messages"] if isinstance(m, dict))
    return json.dumps(case_input)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fail-start", action="store_true")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--state-dir", default=None)
    args = parser.parse_args()
    if args.fail_start:
        print("cmd_agent: refusing to start (--fail-start)", file=sys.stderr, flush=True)
        return 2
    for line in sys.stdin:
        request = json.loads(line)
        text = text_of(request["input"])
        if args.latency_ms:
            time.sleep(args.latency_ms / 1000.0)
        sleep = re.search(r"\[sleep=([0-9.]+)\]", text)
        if sleep:
            time.sleep(float(sleep.group(1)))
        if "[hang]" in text:
            time.sleep(3600)
        barrier = re.search(r"\[barrier=(.+):([0-9]+)\]", text)
        if barrier:
            folder, needed = Path(barrier.group(1)), int(barrier.group(2))
            (folder / str(os.getpid())).write_text("here", encoding="utf-8")
            deadline = time.monotonic() + 60
            while len(list(folder.iterdir())) < needed and time.monotonic() < deadline:
                time.sleep(0.01)
            if len(list(folder.iterdir())) < needed:
                sys.stdout.write(json.dumps({"error": f"barrier: fewer than {needed} cases ran at once"}) + "\n")
                sys.stdout.flush()
                continue
        if "[crash-once]" in text and args.state_dir:
            mark = Path(args.state_dir) / hashlib.sha1(text.encode()).hexdigest()
            if not mark.exists():
                mark.write_text(text)
                print(f"cmd_agent: crashing once on purpose for {text!r}", file=sys.stderr, flush=True)
                os._exit(3)
        if "[crash]" in text:
            print("cmd_agent: crashing on purpose", file=sys.stderr, flush=True)
            os._exit(3)
        if "[error]" in text:
            print("cmd_agent: tool backend said no", file=sys.stderr, flush=True)
            answer: object = {"error": "agent failed: backend unavailable"}
        elif "[garbage]" in text:
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
            continue
        else:
            answer = {
                "output": f"echo: {text}",
                "tool_calls": [],
                "usage": {"input_tokens": len(text.split()), "output_tokens": 3},
                "model": f"pid-{os.getpid()}",
                "context_seen": request.get("context"),
            }
            tool = re.search(r"\[tool=([A-Za-z0-9_]+)\]", text)
            if tool:
                answer["tool_calls"] = [{"name": tool.group(1), "arguments": {"text": text}}]
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
