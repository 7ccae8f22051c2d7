"""Runtime enforcement: the policy files that gate releases also guard the agent in production.

``Enforcer.from_file("policies/default.yaml", trace_to=..., log_to=...)`` loads a policy once;
``@enforcer.guard`` wraps a sync or async agent ``(input, context) -> response``;
``enforcer.check_tool_call(name, arguments)`` stops a forbidden tool call before it runs.
DENY raises :class:`PolicyViolation`, REQUIRE_REVIEW calls the review hook (default: raise
:class:`ReviewRequired`), ALLOW_WITH_REDACTION hands back the redacted value. Imports nothing heavy.
"""

from __future__ import annotations

from gatekit.runtime.decision import GuardDecision, PolicyViolation, ReviewRequired
from gatekit.runtime.enforcer import Enforcer, RequestScope, raise_for_review

__all__ = ["Enforcer", "GuardDecision", "PolicyViolation", "RequestScope", "ReviewRequired", "raise_for_review"]
