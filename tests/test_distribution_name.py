"""No install instruction names the bare ``gatekit`` distribution: that PyPI name belongs to another project."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BARE = re.compile(r"pip install\s+['\"]?gatekit(?![\w-])")
# agent-gatekit is on no package index either: installed from a checkout or a git URL, extras included
FROM_INDEX = re.compile(r"pip install\s+['\"]?agent-gatekit(\[[\w,]+\])?['\"]?(?![\w@ -]*@)(?=[\s'\"`),;]|$)")


def test_every_install_hint_names_agent_gatekit() -> None:
    files = [REPO / "README.md", *(REPO / "docs").glob("*.md"), *(REPO / "gatekit").rglob("*.py")]
    files += [*(REPO / "gatekit").rglob("*.yml"), *(REPO / "examples").rglob("*.yml"), REPO / "action.yml"]
    hits = []
    for path in files:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BARE.search(line) and "never `pip install gatekit`" not in line and "DESIGN.md says" not in line:
                hits.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
            if FROM_INDEX.search(line):
                hits.append(f"{path.relative_to(REPO)}:{number}: not on any index: {line.strip()}")
    assert not hits, "\n".join(hits)
    assert BARE.search("pip install 'gatekit[fast]'") and not BARE.search("pip install 'agent-gatekit[fast]'")
    assert FROM_INDEX.search("(pip install 'agent-gatekit[fast]')") and FROM_INDEX.search("pip install agent-gatekit")
    assert not FROM_INDEX.search('pip install "agent-gatekit[spark] @ git+https://github.com/o/gatekit@v1"')
    assert not FROM_INDEX.search('pip install "agent-gatekit @ git+https://github.com/o/gatekit@v1"')
