"""The plain-Python half of the rule interface: the YAML model every rule config extends and the rule base class.

Rule kinds, built-in and plugins alike, subclass :class:`BaseRule` and :class:`RuleConfig`.
``gatekit.governance.rules.base`` re-exports both, so ``from gatekit.governance.rules.base import BaseRule``
keeps working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from gatekit.governance.rules.base import Evaluation, Fired


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"  # rule ids and policy ids


class RuleConfig(BaseModel):
    """Fields every rule has in YAML; rule kinds add their own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    kind: str
    description: str = ""
    owasp: list[str] | None = None
    enabled: bool = True


class BaseRule:
    """Convenience base: stores the config, id and OWASP categories."""

    kind: ClassVar[str] = ""
    default_owasp: ClassVar[tuple[str, ...]] = ()
    Config: ClassVar[type[RuleConfig]] = RuleConfig

    def __init__(self, config: RuleConfig) -> None:
        self.config = config
        self.id = config.id
        self.owasp = list(config.owasp) if config.owasp is not None else list(self.default_owasp)

    def bind(self, rules: list[Any]) -> None:
        """Called once after every rule of the policy is built (to look at sibling rules)."""

    def evaluate(self, ev: Evaluation) -> list[Fired]:  # pragma: no cover - overridden
        """Return every way this rule fired on the case."""
        raise NotImplementedError
