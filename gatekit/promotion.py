"""Registered-model specs and alias promotion in the MLflow Model Registry.

* ``parse_model_spec`` / ``model_tags``: which registered model version a candidate spec
  names (``models:/name/version`` or ``models:/name@alias``), and the run tags recording it.
* ``promote``: after a passing verdict has been logged, point a registered-model alias
  (``production`` by default) at the candidate version and record the previous holder.

The baseline lookup is ``gatekit.baseline``, the paired statistics ``gatekit.paired`` and the
regression checks ``gatekit.regression``. Every MLflow call goes through ``gatekit.sinks.mlflow``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gatekit.errors import SinkError

if TYPE_CHECKING:
    from gatekit.pipeline.model import Verdict

DEFAULT_ALIAS = "production"
TAG_GATE_RUN = "gatekit.gate_run_id"
TAG_MODEL_NAME = "gatekit.model_name"
TAG_MODEL_VERSION = "gatekit.model_version"

TAG_PREVIOUS_PREFIX = "gatekit.promotion.previous_version."

_MODEL_SPEC = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>[^/@]+)|@(?P<alias>[^/@]+))$")


_ALIAS = re.compile(r"^[A-Za-z0-9_-]+$")
_VERSION = re.compile(r"[1-9][0-9]{0,17}")  # a registry version number as gatekit records it (ASCII, no sign, no 0)
# MLflow takes 255 characters, but a registry tag key is at most 250 and gatekit records the previous holder under
# ``gatekit.promotion.previous_version.<alias>``: a longer alias would be set with that record refused
MAX_ALIAS_LENGTH = 250 - len(TAG_PREVIOUS_PREFIX)


def check_alias(alias: str | None) -> None:
    """Refuse (``ConfigError``, one line) an alias MLflow would refuse, or one that could pass for another.

    MLflow refuses ``latest``, ``v<digits>``, characters other than letters, digits, ``_`` and ``-`` and more than 255
    characters only when the alias is set, after the whole replay (and gatekit's record of the previous holder, a tag
    keyed by the alias, takes at most ``MAX_ALIAS_LENGTH``). It accepts any Unicode letter: ``prοduction``
    with a Greek omicron prints like ``production`` while the deploy's alias never moves; gatekit takes ASCII only.
    """
    from gatekit.errors import ConfigError

    if alias is None:
        return
    shown = ascii(alias) if len(alias) <= 80 else ascii(alias[:80]) + f"... ({len(alias)} characters)"
    if not _ALIAS.match(alias) or len(alias) > MAX_ALIAS_LENGTH:
        raise ConfigError(
            f"--alias {shown}: an alias is 1 to {MAX_ALIAS_LENGTH} ASCII letters, digits, '_' or '-' (MLflow's rule; "
            "ASCII only so no look-alike passes for another alias); fix --alias / alias: / GATEKIT_ALIAS"
        )
    if alias.lower() == "latest" or re.fullmatch(r"[vV]\d+", alias):
        raise ConfigError(
            f"--alias {shown}: MLflow reserves 'latest' and 'v<number>' aliases; choose another name (e.g. production)"
        )


def _check_model_name(model: str) -> None:
    """A ``--model`` with a control or format character (newline, ESC, bidi override) is refused, shown escaped.

    Shown raw, a newline split the one error line in two and a right-to-left override reversed what followed.
    """
    import unicodedata

    from gatekit.errors import ConfigError

    if not model.strip():  # MLflow's own words were "Missing value for required parameter 'name'", exit 3
        raise ConfigError(f"--model {model!r}: no registered model name; pass the name the gate promoted")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in model):
        shown = ascii(model[:120]) + (f"... ({len(model)} characters)" if len(model) > 120 else "")
        raise ConfigError(f"--model {shown}: a registered model name has no control or format characters; fix the name")


def same_registry(first: str | None, second: str | None) -> bool:
    """Whether two registry URIs name one registry (``sqlite:///rel.db`` and ``sqlite:////abs/rel.db`` do)."""
    return first is not None and second is not None and _registry_key(first) == _registry_key(second)


def _registry_key(uri: str) -> str:
    import os

    text = uri.strip()
    if text.startswith("sqlite:///"):
        return "sqlite:///" + os.path.realpath(text.removeprefix("sqlite:///").split("?", 1)[0])
    if text.startswith("file:") or "://" not in text:
        return "file:" + os.path.realpath(text.removeprefix("file://").removeprefix("file:"))
    return text.rstrip("/")


def registry_mismatch(registry: str | None, spec: str, tracking_uri: str) -> str | None:
    """Why a ``models:/`` agent's registry is not where gatekit tags and promotes (None when it is the same).

    The MLflow agent reads the model from MLflow's registry URI (``MLFLOW_REGISTRY_URI`` / ``MLFLOW_TRACKING_URI``);
    gatekit tags and moves aliases in the gate's tracking URI. In two different registries ``name/2`` are two
    different models: the one tested must not be confused with the one promoted.
    """
    if parse_model_spec(spec) is None or registry is None or same_registry(registry, tracking_uri):
        return None
    from gatekit.redact import redact_urls

    return (
        f"--agent {spec}: the model is read from the registry at {redact_urls(str(registry))} "
        f"(MLFLOW_REGISTRY_URI / MLFLOW_TRACKING_URI) but gatekit would tag and promote it in "
        f"{redact_urls(tracking_uri)} (--tracking-uri); point both at one registry"
    )


def previous_holder_tag(alias: str) -> str:
    """Model-version tag naming the version that held ``alias`` before gatekit promoted this one."""
    return TAG_PREVIOUS_PREFIX + alias


@dataclass(frozen=True)
class ModelRef:
    """A registered-model candidate: ``models:/name/version`` or ``models:/name@alias``."""

    name: str
    version: str | None = None
    alias: str | None = None


def parse_model_spec(spec: str | None) -> ModelRef | None:
    """Return the registered model a candidate spec names, or None for any other kind of agent."""
    if not spec:
        return None
    match = _MODEL_SPEC.match(spec.strip())
    if not match:
        return None
    version = match["version"]
    if version is not None and not version.isdigit():
        return None  # models:/name/latest or a stage: not a fixed version we could promote
    return ModelRef(match["name"], version, match["alias"])


def resolve_model_version(ref: ModelRef, tracking_uri: str | None) -> str | None:
    """The concrete version number of ``ref`` (an alias is looked up in the registry)."""
    if ref.version is not None:
        return ref.version
    from gatekit.sinks.mlflow import registry_alias_version

    return registry_alias_version(tracking_uri, ref.name, str(ref.alias))


def _not_promotable(spec: str | None) -> str:
    """Why candidate ``spec`` cannot be promoted: no registered model, or one named by ``latest`` / a stage."""
    match = _MODEL_SPEC.match((spec or "").strip())
    if match is None or match["version"] is None:
        return f"the candidate {ascii(spec)} is not a registered MLflow model (models:/name/version or @alias)"
    name, moving = match["name"], match["version"]
    shown = name if name.isascii() and name.isprintable() else "<name>"
    what = "'latest'" if moving.lower() == "latest" else f"the stage {ascii(moving)}"
    return (
        f"the candidate {ascii(spec)} names {what} of registered model {quoted_name(name)}, which moves with the "
        f"registry, not one version; gate one version (models:/{shown}/3) or an alias (models:/{shown}@candidate)"
    )


def quoted_name(name: str) -> str:
    """A model name in quotes; one with a non-ASCII or control character (a look-alike, a bidi override) escaped."""
    return f"'{name}'" if name.isascii() and name.isprintable() else ascii(name)


def model_tags(candidate_spec: str | None, tracking_uri: str | None, replayed: str | None = None) -> dict[str, str]:
    """Run tags naming the registered model version under test (empty for other agents).

    ``replayed`` is the version the agent loaded and replayed (an alias is not looked up again). They let
    ``--baseline <alias>`` find the gate run of a model version later.
    """
    ref = parse_model_spec(candidate_spec)
    if ref is None:
        return {}
    version = replayed or resolve_model_version(ref, tracking_uri)
    tags = {TAG_MODEL_NAME: ref.name}
    if version is not None:
        tags[TAG_MODEL_VERSION] = version
    return tags


def promote(
    verdict: Verdict,
    *,
    alias: str = DEFAULT_ALIAS,
    tracking_uri: str | None = None,
    dry_run: bool = False,
    replayed: str | None = None,
) -> dict[str, Any]:
    """Set registered-model alias ``alias`` on the candidate version when the verdict allows it.

    ``replayed`` is the version the agent loaded and replayed (``gate`` passes it): that version is promoted,
    even when the candidate alias (``models:/name@candidate``) was moved since. Without it an alias candidate
    is looked up now.

    Returns the ``promotion`` block of verdict.json: ``action`` is ``promoted``,
    ``unchanged`` (the alias already points there), ``dry_run`` (what would happen) or
    ``skipped`` (with the reason: not a registered model, verdict not pass, sample run,
    MLflow error). On promotion the previous holder is recorded on the gate run
    (``gatekit.promotion.previous_version``) and the version is tagged with the gate run id.
    Raises ``PromotionError`` (a ``SinkError``, with the block as the registry was left) when the registry fails
    mid-way: an alias it moved is moved back (:func:`undo_promotion`), so exit 3 is never a promotion.
    """
    spec = verdict.candidate.spec
    run_id = verdict.mlflow.run_id
    uri = tracking_uri or verdict.mlflow.tracking_uri
    block: dict[str, Any] = {
        "alias": alias,
        "model": None,
        "version": None,
        "previous_version": None,
        "action": "skipped",
        "dry_run": dry_run,
        "message": "",
    }

    def skipped(reason: str) -> dict[str, Any]:
        block["message"] = f"not promoted: {reason}"
        return block

    ref = parse_model_spec(spec)
    if ref is None:
        return skipped(_not_promotable(spec))
    block["model"] = ref.name
    if verdict.verdict != "pass":
        return skipped(f"the verdict is {verdict.verdict}")
    if verdict.sample is not None:
        return skipped("this was a sample run; a sample never promotes")
    if verdict.mlflow.error or not run_id:
        return skipped("the run was not logged to MLflow")
    if verdict.exit_code not in (None, 0):
        return skipped(f"gatekit exits {verdict.exit_code}")

    from gatekit.sinks.mlflow import (
        registry_alias_version,
        registry_set_alias,
        registry_set_version_tag,
        set_run_tags,
    )

    if replayed is not None and ref.version is not None and replayed != ref.version:
        return skipped(f"the replayed version {replayed} is not the candidate's version {ref.version}")
    version = replayed or resolve_model_version(ref, uri)
    if version is None:
        return skipped(f"registered model {quoted_name(ref.name)} has no alias {quoted_name(str(ref.alias))} any more")
    block["version"] = version
    previous = registry_alias_version(uri, ref.name, alias)
    block["previous_version"] = previous
    now = f"version {previous}" if previous else "no version"
    if previous == version:
        block["action"] = "unchanged"
        block["message"] = f"alias '{alias}' of {quoted_name(ref.name)} already points at version {version}"
        return block
    if dry_run:
        block["action"] = "dry_run"
        block["message"] = (
            f"dry run: would set alias '{alias}' of {quoted_name(ref.name)} to version {version} (now {now})"
        )
        return block
    target = f"alias '{alias}' of {quoted_name(ref.name)} to version {version} (was {now})"
    try:
        # the records first: a registry refusing one of them leaves the alias where it was (no promotion without them)
        registry_set_version_tag(uri, ref.name, version, TAG_GATE_RUN, str(run_id))
        # on the version too, so ``gatekit rollback`` finds the previous holder without the gate run
        registry_set_version_tag(uri, ref.name, version, previous_holder_tag(alias), previous or "none")
    except SinkError as exc:
        block["message"] = f"not promoted: the {target} was not set, its records were refused: {exc}"
        raise PromotionError(block["message"], block) from None
    # read again just before the move: another gate (a second CI job) that moved the alias since it was read above
    # was overwritten, its exit 0 a promotion undone, and this one recorded the wrong previous holder
    holder = registry_alias_version(uri, ref.name, alias)
    if holder != previous:
        held = f"version {holder}" if holder else "no version"
        block["message"] = (
            f"not promoted: the alias '{alias}' of {quoted_name(ref.name)} was moved by someone else while promoting "
            f"({now} before, {held} now); gatekit does not overwrite it: rerun the gate against the new holder"
        )
        raise PromotionError(block["message"], block)
    try:
        registry_set_alias(uri, ref.name, alias, version)
    except SinkError as exc:  # the registry may have moved it all the same (a 503 after the change)
        raise undo_promotion(uri, block, f"setting the {target} failed: {exc}") from None
    try:
        set_run_tags(
            uri,
            str(run_id),
            {
                "gatekit.promotion.alias": alias,
                "gatekit.promotion.model": ref.name,
                "gatekit.promotion.version": version,
                "gatekit.promotion.previous_version": previous or "none",
            },
        )
    except SinkError as exc:
        why = f"set the {target}, but the gate run's promotion tags failed: {exc}"
        raise undo_promotion(uri, block, why, moved=True) from None
    block["action"] = "promoted"
    block["message"] = f"set alias '{alias}' of {quoted_name(ref.name)} to version {version} (was {now})"
    return block


class PromotionError(SinkError):
    """A promotion that failed part-way (exit 3); ``block`` is the promotion block as the registry was left."""

    def __init__(self, message: str, block: dict[str, Any]) -> None:
        super().__init__(message)
        self.block = block


def undo_promotion(tracking_uri: str | None, block: dict[str, Any], why: str, *, moved: bool = False) -> PromotionError:
    """After a failure once the alias was (or may have been) moved: move it back; the error says where it is now.

    A gate that exits 3 has not promoted: a registry that applied the move but answered an error (a 503 from a
    restart or a proxy), or a failure logging the promotion after the move, left the alias on the new version while
    gatekit exited 3 ("promotion unconfirmed") and verdict.json had no promotion block. Now the alias is read back
    and, when it holds the version, moved back to the previous holder (or unset when there was none). ``block``
    (``model``, ``alias``, ``version``, ``previous_version``) gets the outcome: ``skipped`` when the alias is not on
    the version any more, ``promoted`` when it could not be moved back, ``unconfirmed`` when it cannot be read
    (``promoted`` with ``moved``: the registry confirmed the move before the failure). The undo's requests get a short
    window of their own when the publish deadline has passed (:func:`gatekit.sinks.mlflow.cleanup_window`).
    """
    from gatekit.sinks.mlflow import cleanup_window

    with cleanup_window():
        return _undo(tracking_uri, block, why, moved)


def _undo(tracking_uri: str | None, block: dict[str, Any], why: str, moved: bool) -> PromotionError:
    from gatekit.sinks.mlflow import registry_alias_version, registry_delete_alias, registry_set_alias

    name, alias, version, previous = block["model"], block["alias"], block["version"], block["previous_version"]
    where = f"alias '{alias}' of {quoted_name(name)}"

    def shown(holder: str | None) -> str:
        return f"version {holder}" if holder else "no version"

    try:
        now = registry_alias_version(tracking_uri, name, alias)
    except SinkError as again:
        if moved:
            block["action"] = "promoted"
            block["message"] = (
                f"promoted, though the gate exits 3: {why}; reading the {where} back to move it back failed "
                f"({again}); it was set to version {version}: check the registry"
            )
            return PromotionError(block["message"], block)
        block["action"] = "unconfirmed"
        block["message"] = (
            f"promotion unconfirmed: {why}; reading the alias back failed too ({again}): check which version the "
            f"{where} holds (gatekit rollback --model ... --from-version {version} undoes it)"
        )
        return PromotionError(block["message"], block)
    if now != version:
        block["action"] = "skipped"
        block["message"] = f"not promoted: {why}; the {where} holds {shown(now)}"
        return PromotionError(block["message"], block)
    try:
        if previous:
            registry_set_alias(tracking_uri, name, alias, previous)
        else:
            registry_delete_alias(tracking_uri, name, alias)
    except SinkError as again:
        block["action"] = "promoted"
        block["message"] = (
            f"promoted, though the gate exits 3: {why}; moving the {where} back to {shown(previous)} failed "
            f"({again}); it holds version {version}: check the registry"
        )
        return PromotionError(block["message"], block)
    block["action"] = "skipped"
    block["message"] = f"not promoted: {why}; the {where} was moved back to {shown(previous)}"
    return PromotionError(block["message"], block)


def rollback(
    model: str,
    *,
    alias: str = DEFAULT_ALIAS,
    tracking_uri: str | None = None,
    dry_run: bool = False,
    from_version: str | None = None,
) -> dict[str, Any]:
    """Move ``alias`` of ``model`` back to the version that held it before gatekit's last promotion.

    ``from_version`` makes it a compare-and-set: only when the alias holds that version (the failed canary). When
    that version was already rolled back and the alias holds what it was rolled back to (a second trigger for the
    same failure: a watch's ``--on-rollback`` and the workflow's rollback step), nothing is done
    (``action: already_rolled_back``) — without it, a second run moves the alias back one more promotion.

    The previous holder is read from the current holder's version tag
    (``gatekit.promotion.previous_version.<alias>``, written by :func:`promote`), else from the
    gate run that promoted it (``gatekit.gate_run_id`` → ``gatekit.promotion.previous_version``).
    Raises ``ConfigError`` (exit 2) when the alias is not set, was not set by gatekit, or no previous
    holder was recorded (a first promotion); ``SinkError`` (exit 3) when the registry fails. The
    rolled-back version and the gate run get ``gatekit.rollback.*`` tags. Returns what was done.
    """
    from datetime import UTC, datetime

    from gatekit.errors import ConfigError
    from gatekit.sinks.mlflow import (
        get_run,
        registry_alias_version,
        registry_model_version,
        registry_set_alias,
        registry_set_version_tag,
        set_run_tags,
    )

    check_alias(alias)
    _check_model_name(model)
    if from_version is not None and not _VERSION.fullmatch(from_version):
        raise ConfigError(f"--from-version {ascii(from_version[:40])}: a model version number (e.g. 3)")
    current = registry_alias_version(tracking_uri, model, alias)
    if current is None:
        raise ConfigError(f"--model {model} --alias {alias}: the alias is not set; there is nothing to roll back")
    if from_version is not None and str(current) != from_version:
        return _rolled_back_already(tracking_uri, model, alias, str(current), from_version, dry_run)
    info = registry_model_version(tracking_uri, model, current) or {"tags": {}}
    tags = info["tags"]
    previous = tags.get(previous_holder_tag(alias))
    record = f"version {current}'s tag {previous_holder_tag(alias)}"
    gate_run = tags.get(TAG_GATE_RUN)
    if previous is None and gate_run:
        run = get_run(tracking_uri, gate_run)
        run_tags = (run or {}).get("tags", {})
        if run_tags.get("gatekit.promotion.alias") == alias and run_tags.get("gatekit.promotion.version") == current:
            previous = run_tags.get("gatekit.promotion.previous_version")
            record = f"gate run {gate_run}'s tag gatekit.promotion.previous_version"
    if previous is None:
        raise ConfigError(
            f"--model {model} --alias {alias}: version {current} holds the alias but gatekit recorded no previous "
            "holder (it was not promoted by gatekit); set the alias by hand with the MLflow client"
        )
    if previous == "none":
        raise ConfigError(
            f"--model {model} --alias {alias}: version {current} was the first holder of the alias "
            "(no previous version was recorded at promotion); nothing to roll back to"
        )
    if not _VERSION.fullmatch(previous) or previous == str(current):
        # an edited record: MLflow's "must be an integer" was an infrastructure error (exit 3) with the text raw
        # (an escape sequence reached the terminal), and the current holder itself was "moved back" to itself
        what = "the current holder itself" if previous == str(current) else "not a version number"
        raise ConfigError(
            f"--model {model} --alias {alias}: {record} records the previous holder {ascii(previous[:40])}, {what} "
            "(gatekit writes the number of another version): the record was edited; set the alias by hand with "
            "the MLflow client"
        )
    if registry_model_version(tracking_uri, model, previous) is None:
        raise ConfigError(f"--model {model}: the recorded previous holder, version {previous}, no longer exists")
    block: dict[str, Any] = {
        "model": model,
        "alias": alias,
        "from_version": current,
        "to_version": previous,
        "gate_run_id": gate_run,
        "dry_run": dry_run,
        "action": "dry_run" if dry_run else "rolled_back",
        "message": f"{'dry run: would move' if dry_run else 'moved'} alias '{alias}' of '{model}' "
        f"from version {current} back to version {previous}",
    }
    if dry_run:
        return block
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    # the record first: a move the registry applied but answered an error for (a 503), run again with
    # --from-version, is then "already rolled back" (exit 0), not refused (exit 2) for want of the record; the
    # record alone changes nothing while the alias still holds this version
    registry_set_version_tag(
        tracking_uri, model, current, f"gatekit.rollback.{alias}", f"rolled back to {previous} at {at}"
    )
    registry_set_alias(tracking_uri, model, alias, previous)
    if gate_run:
        set_run_tags(tracking_uri, gate_run, {"gatekit.rollback.to_version": previous, "gatekit.rollback.at": at})
    block["at"] = at
    return block


def _rolled_back_already(
    tracking_uri: str | None, model: str, alias: str, current: str, expected: str, dry_run: bool
) -> dict[str, Any]:
    """``--from-version V`` when the alias no longer holds V: done already (V was rolled back to it), else refused."""
    from gatekit.errors import ConfigError
    from gatekit.sinks.mlflow import registry_model_version

    info = registry_model_version(tracking_uri, model, expected)
    tags = (info or {}).get("tags", {})
    if tags.get(f"gatekit.rollback.{alias}") and tags.get(previous_holder_tag(alias)) == current:
        return {
            "model": model, "alias": alias, "from_version": expected, "to_version": current, "gate_run_id": None,
            "dry_run": dry_run, "action": "already_rolled_back",
            "message": f"alias '{alias}' of '{model}' already moved from version {expected} back to version {current}; "
            "nothing done",
        }  # fmt: skip
    raise ConfigError(
        f"--model {model} --alias {alias} --from-version {expected}: the alias holds version {current}, not "
        f"{expected}, and gatekit did not roll {expected} back to it; nothing done (check which version failed)"
    )
