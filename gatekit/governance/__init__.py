"""Governance: policy-as-code evaluated on every replayed case.

``load_policy(path)`` reads a policy file; ``Policy.evaluate(case, response, run=...)`` returns a
:class:`gatekit.models.Decision`; ``scan(text)`` finds PII and secrets. Nothing here imports
pandas, scipy or mlflow.
"""

from __future__ import annotations

from gatekit.governance.detectors import Finding, scan
from gatekit.governance.policy import Policy, RunState, load_policy, policy_from_dict

__all__ = ["Finding", "Policy", "RunState", "load_policy", "policy_from_dict", "scan"]
