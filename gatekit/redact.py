"""Redaction of everything gatekit writes or prints that an agent or a user could have filled with secrets.

- :func:`scrub` replaces PII and secrets (``gatekit.governance.scan``) with typed placeholders and
  strips credentials from any URL in the text; values in ``keep`` (the configured agent host) stay.
- :func:`scrub_cut` scrubs first and cuts after, so a secret straddling the cut cannot leave a piece.
- :func:`display_spec` is the one form of a candidate spec that is shown or stored anywhere
  (verdict, report, MLflow, replay state, console): no URL user-info, no secret-looking query values,
  no secret the detectors find. :func:`spec_identity` adds a digest of the full spec for ``--resume``.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import functools
import hashlib
import os
import re
import urllib.parse
from collections.abc import Collection, Iterator, Mapping
from typing import Any

MASK = "***"
ERROR_CHARS = 2000  # an error message or stderr tail is kept to this many characters, after scrubbing
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
# query / fragment parameter names whose values are credentials (compared lower-cased, "-" as "_")
_SECRET_PARAMS = frozenset(
    {
        "token",
        "key",
        "api_key",
        "apikey",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "sig",
        "signature",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "authorization",
        "code",
        "credential",
        "credentials",
        "session",
        "sessionid",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
    }
)
_SECRET_PARAM_PARTS = ("token", "secret", "password", "passwd", "apikey", "api_key", "signature", "credential")
_SCRUB_PASSES = 3
_CACHED_CHARS = 256
# credentials this process sends (an agent's API key, header values read from the environment): an endpoint
# that echoes one back (an error body quoting the key, a model name) must not get it written, whatever it looks like
_KNOWN_SECRETS: set[str] = set()
_KNOWN_PLACEHOLDER = "[GENERIC_SECRET]"
MIN_KNOWN_SECRET_CHARS = 8  # a shorter value ("prod", "gate") would rewrite ordinary words


def add_known_secret(value: str | None) -> None:
    """Mask ``value`` (a credential this process sends) wherever :func:`scrub` or :func:`mask_known` runs.

    Values shorter than :data:`MIN_KNOWN_SECRET_CHARS` are not registered (they would mask ordinary words).
    """
    if value and len(value.strip()) >= MIN_KNOWN_SECRET_CHARS and value.strip() not in _KNOWN_SECRETS:
        _KNOWN_SECRETS.add(value.strip())
        _scrub_short.cache_clear()
        _PLAIN_SHORT.clear()


# credentials of one request only (a client's own ``Authorization`` the proxy forwards upstream): masked by every
# scrub inside that request's context (its task, the checks it runs on worker threads, the records it queues),
# never in another request's data, and gone with the request: nothing accumulates across requests
_REQUEST_SECRETS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "gatekit_request_secrets", default=()
)
_MAX_REQUEST_SECRETS = 8


@contextlib.contextmanager
def request_secrets(*values: str | None) -> Iterator[tuple[str, ...]]:
    """Inside this block (this context only), mask ``values`` wherever :func:`scrub` or :func:`mask_known` runs.

    For a credential that belongs to one request (a client's token forwarded upstream): an upstream echoing it
    must not get it written, and another request's data is never compared against it. An HTTP ``Authorization``
    value counts twice: whole, and its credential after the scheme (``Bearer <token>`` -> ``<token>``).
    Values shorter than :data:`MIN_KNOWN_SECRET_CHARS` are not masked (they would mask ordinary words).
    """
    found: list[str] = list(_REQUEST_SECRETS.get())
    for value in values:
        if not value:
            continue
        whole = value.strip()
        for part in (whole, whole.partition(" ")[2].strip()):
            if len(part) >= MIN_KNOWN_SECRET_CHARS and part not in found:
                found.append(part)
    token = _REQUEST_SECRETS.set(tuple(sorted(found[-_MAX_REQUEST_SECRETS:], key=len, reverse=True)))
    try:
        yield _REQUEST_SECRETS.get()
    finally:
        _REQUEST_SECRETS.reset(token)


def mask_request_secrets(text: str) -> str:
    """``text`` with the credentials of the current request (:func:`request_secrets`) masked."""
    for secret in _REQUEST_SECRETS.get():
        if secret in text:
            text = text.replace(secret, _KNOWN_PLACEHOLDER)
    return text


def has_request_secrets() -> bool:
    """True inside a :func:`request_secrets` block with something to mask (a queued job must carry the context)."""
    return bool(_REQUEST_SECRETS.get())


def add_env_secrets(*names: str) -> None:
    """Register the values of the environment variables ``names`` as known secrets (:func:`add_known_secret`)."""
    for name in names:
        add_known_secret(os.environ.get(name))


# environment variables whose names say they hold a credential (OPENAI_API_KEY, HF_TOKEN, AWS_SECRET_ACCESS_KEY,
# DB_PASSWORD, GITHUB_TOKEN, AZURE_OPENAI_KEY, STRIPE_KEY ...): an agent, a cmd: worker or a server it calls echoing one
# back (a traceback quoting the key, an error body, stderr) must not get it written, whatever it looks like and whether
# or not a setting names the variable (a bare ``_KEY`` ending too: AZURE_OPENAI_KEY went written as it was)
_CREDENTIAL_ENV = re.compile(
    r"(?:^|_)(?:API_?KEY|ACCESS_?KEY|SECRET(?:_ACCESS)?_?KEY|KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?"
    r"|AUTH|PAT|PRIVATE_KEY|CLIENT_SECRET|SAS|CONNECTION_STRING)$",
    re.IGNORECASE,
)


def add_credential_env(environ: Mapping[str, str] | None = None) -> None:
    """Register the value of every environment variable named like a credential as a known secret.

    ``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``HF_TOKEN``, ``GITHUB_TOKEN``, ``AWS_SECRET_ACCESS_KEY``,
    ``*_PASSWORD`` ...: masked wherever :func:`scrub` runs (:func:`add_known_secret`; short values are not).
    """
    env = os.environ if environ is None else environ
    for name, value in env.items():
        # a variable naming a credential file (GOOGLE_APPLICATION_CREDENTIALS=/path/key.json) holds a path, not it
        if _CREDENTIAL_ENV.search(name) and value and not os.path.exists(value.strip()):
            add_known_secret(value)


def add_mlflow_credentials() -> None:
    """Register the credentials the MLflow client sends (token, basic-auth password and header) as known secrets.

    Called wherever gatekit talks to MLflow: a tracking server that echoes the token bare (an error body,
    a name) must not get it into an error message, a verdict or a log line.
    """
    add_env_secrets("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD")
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        add_known_secret(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))


def _mask_known_text(text: str) -> str:
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _KNOWN_PLACEHOLDER)
    return text


def mask_known(value: Any) -> Any:
    """``value`` (text, or lists / dicts of them, keys included) with every registered credential masked."""
    if not _KNOWN_SECRETS and not _REQUEST_SECRETS.get():
        return value
    if isinstance(value, str):
        return _mask_known_text(mask_request_secrets(value))
    if isinstance(value, dict):
        return {mask_known(k) if isinstance(k, str) else k: mask_known(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_known(v) for v in value]
    return value


def _secret_param(name: str) -> bool:
    key = urllib.parse.unquote_plus(name).strip().lower().replace("-", "_")
    return key in _SECRET_PARAMS or any(part in key for part in _SECRET_PARAM_PARTS)


def _mask_params(text: str) -> str:
    """``a=1&token=x`` -> ``a=1&token=***`` (the original spelling of every other pair is kept)."""
    pairs = []
    for pair in re.split(r"([&;])", text):
        name, sep, value = pair.partition("=")
        pairs.append(f"{name}={MASK}" if sep and value and _secret_param(name) else pair)
    return "".join(pairs)


_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy_authorization", "cookie", "x_auth", "x_goog_api_key"})


def add_credential_header(name: str, value: str) -> None:
    """Register a header value the gate sends as a known secret when the header carries a credential.

    ``Authorization`` / ``Proxy-Authorization`` (whole, and its credential after the scheme), ``Cookie``, and any
    name a credential query parameter would have (``X-Api-Key``, ``X-Auth-Token``, ``api-key``): an endpoint
    echoing the value bare (an error body quoting the request's headers) must not get it written, whether it came
    from ``${VAR}`` or was written into the config as it is.
    """
    key = name.strip().lower().replace("-", "_")
    if key in _CREDENTIAL_HEADERS or _secret_param(name):
        add_known_secret(value)
        scheme, space, credential = value.strip().partition(" ")
        if space and scheme.isalpha():
            add_known_secret(credential)


def add_url_secrets(url: str) -> None:
    """Register the credentials in ``url`` (a user-info password, secret query / fragment values) as known secrets.

    :func:`redact_url` masks them where the URL is shown; a server echoing one bare (an error body repeating the
    query) must not get it written either.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority:
        add_known_secret(urllib.parse.unquote(authority.rsplit("@", 1)[0].partition(":")[2]))
    tail = rest[len(authority) :]
    for part in re.split(r"[?#&;]", tail.partition("?")[2] + "#" + tail.partition("#")[2]):
        name, eq, value = part.partition("=")
        if eq and value and _secret_param(name):
            add_known_secret(urllib.parse.unquote_plus(value))


def redact_url(url: str) -> str:
    """``url`` without user-info and with secret-looking query / fragment values masked."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:authority_end], rest[authority_end:]
    if "@" in authority:
        authority = f"{MASK}@{authority.rsplit('@', 1)[1]}"
    path, qmark, query = tail.partition("?")
    if qmark:
        query, hash_, fragment = query.partition("#")
        tail = f"{path}?{_mask_params(query)}{hash_}{_mask_params(fragment) if hash_ else ''}"
    else:
        path, hash_, fragment = tail.partition("#")
        tail = f"{path}{hash_}{_mask_params(fragment) if hash_ else ''}"
    return f"{scheme}://{authority}{tail}"


def redact_urls(text: str) -> str:
    """Every URL in ``text`` through :func:`redact_url`."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def url_host(spec: str) -> str | None:
    """The host of an ``http(s)://`` spec, or None (a host someone configured is not a secret)."""
    if not spec.startswith(("http://", "https://")):
        return None
    try:
        return urllib.parse.urlsplit(spec).hostname or None
    except ValueError:
        return None


def _replace_findings(text: str, keep: Collection[str], secrets_only: bool) -> str:
    from gatekit.governance import scan

    if _KNOWN_SECRETS:
        text = _mask_known_text(text)

    for _ in range(_SCRUB_PASSES):  # a finding can hide a neighbour (overlap): scan what is left again
        findings = [
            f for f in scan(text) if f.value not in keep and (f.is_secret or not secrets_only) and f.end > f.start
        ]
        if not findings:
            break
        for finding in sorted(findings, key=lambda f: f.start, reverse=True):
            text = f"{text[: finding.start]}[{finding.type}]{text[finding.end :]}"
    return text


def scrub(text: str | None, keep: Collection[str] = ()) -> str | None:
    """Replace every PII value and secret the detectors find with a typed placeholder; mask URL credentials.

    A finding whose value is in ``keep`` (e.g. the configured agent host) is left readable.
    """
    if not text:
        return text
    if _REQUEST_SECRETS.get():  # this request's own credentials first: what is cached below never depends on them
        text = mask_request_secrets(text)
    if len(text) <= _CACHED_CHARS:  # tool names, models, reasons and context values repeat from case to case
        if not keep:  # (the runtime's labels: one dict look-up when seen before)
            shown = _PLAIN_SHORT.get(text)
            if shown is None:
                shown = _replace_findings(redact_urls(text), (), secrets_only=False)
                if len(_PLAIN_SHORT) >= _PLAIN_SHORT_MAX:
                    _PLAIN_SHORT.clear()
                _PLAIN_SHORT[text] = shown
            return shown
        return _scrub_short(text, keep if isinstance(keep, frozenset) else frozenset(keep))
    return _replace_findings(redact_urls(text), keep, secrets_only=False)


_PLAIN_SHORT: dict[str, str] = {}  # short text scrubbed without ``keep`` -> its scrubbed form (cleared when full)
_PLAIN_SHORT_MAX = 8192


@functools.lru_cache(maxsize=4096)
def _scrub_short(text: str, keep: frozenset[str]) -> str:
    return _replace_findings(redact_urls(text), keep, secrets_only=False)


def scrub_cut(text: str | None, limit: int, keep: Collection[str] = ()) -> str | None:
    """:func:`scrub`, then the first ``limit`` characters.

    Very long text is scrubbed in growing windows: a window is enough once its scrubbed form
    runs ``limit`` plus a margin past the cut, so a secret cut by the window's own end never
    reaches the kept part.
    """
    if not text:
        return text
    margin = 4096  # longer than any secret the detectors report piecewise
    window = max(4 * limit, limit + 2 * margin)
    while True:
        scrubbed = scrub(text[:window], keep) or ""
        if window >= len(text) or len(scrubbed) >= limit + margin:
            return scrubbed[:limit]
        window *= 2


def scrub_tail(text: str | None, limit: int, keep: Collection[str] = ()) -> str | None:
    """:func:`scrub`, then the last ``limit`` characters (a stderr tail); windows grow as in :func:`scrub_cut`."""
    if not text:
        return text
    margin = 4096
    window = max(4 * limit, limit + 2 * margin)
    while True:
        scrubbed = scrub(text[-window:], keep) or ""
        if window >= len(text) or len(scrubbed) >= limit + margin:
            return scrubbed[-limit:]
        window *= 2


def scrub_field(value: Any) -> Any:
    """A field of untrusted data as it may be written: text scrubbed, a number whose text holds a finding as text.

    For identifiers and labels (a request id, a context value, a model or tool name) that are written
    as they are; ``None``, booleans and numbers without a finding pass unchanged.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, int | float):
        text = str(value)
        shown = scrub(text)
        return value if shown == text else shown
    return scrub(str(value))


def scrub_all(values: list[str], keep: Collection[str] = ()) -> list[str]:
    """:func:`scrub` of each string (a list of reasons, tool names, models)."""
    return [scrub(v, keep) or v for v in values]


def redact_secrets(text: str | None) -> str:
    """``text`` without URL credentials and without the secrets the detectors find; PII and hosts stay.

    For text a user wrote (a spec, a config value echoed in an error message), where a host, a path
    or a model name is what the reader needs to see.
    """
    if not text:
        return text or ""
    return _replace_findings(redact_urls(mask_request_secrets(text)), (), secrets_only=True)


MAX_EXPERIMENT_NAME_CHARS = 500  # MLflow's limit (``MAX_EXPERIMENT_NAME_LENGTH``)


def check_experiment_name(name: str) -> str:
    """``name`` when it holds no secret; else ``ValueError`` showing it with the secret redacted.

    An empty or blank name, or one longer than MLflow takes, is refused too: MLflow refused it only when the run
    was logged, after the whole replay, as an infrastructure failure (exit 3).

    An MLflow experiment name is stored as it is and decides where runs go: redacting it would log to another
    experiment, so a token pasted into ``--experiment`` is refused, never stored. Personal data stays allowed
    (a Databricks experiment path holds the user's e-mail).
    """
    if not name.strip():  # MLflow refused it only when logging, after the whole replay (exit 3)
        raise ValueError("the experiment name is empty; name an MLflow experiment (e.g. gatekit) or drop the setting")
    if len(name) > MAX_EXPERIMENT_NAME_CHARS:
        raise ValueError(
            f"the experiment name is {len(name)} characters; MLflow takes at most {MAX_EXPERIMENT_NAME_CHARS}: "
            "use a shorter name"
        )
    shown = redact_secrets(name)
    if shown != name:
        raise ValueError(
            f"the experiment name {shown!r} holds a secret (redacted here); MLflow would store it as it is and a "
            "redacted name would send runs to another experiment: use a name without credentials"
        )
    return name


def scrub_message(text: str | None) -> str:
    """A message gatekit shows (an error line, a progress line): :func:`scrub`, but IP addresses stay readable.

    Messages quote what a user configured (a file path, a ``--variant``, a host to listen on or to call): a
    secret or an e-mail there goes, the address of a host someone configured is what the reader needs to see.
    """
    if not text:
        return text or ""
    from gatekit.governance import scan

    keep = frozenset(f.value for f in scan(text) if f.type == "IP_ADDRESS")
    return scrub(text, keep) or ""


def scrub_message_cut(text: str | None, limit: int) -> str:
    """:func:`scrub_message` of ``text``, then its first ``limit`` characters (:func:`scrub_cut`'s windows).

    For a message quoting untrusted text cut to a length (an agent's error, an exception of its code, a database error
    quoting a row): cut first, a key across the cut left its first characters, which no detector recognises, raw.
    """
    if not text:
        return text or ""
    from gatekit.governance import scan

    head = text[: max(4 * limit, limit + 8192)]
    keep = frozenset(f.value for f in scan(head) if f.type == "IP_ADDRESS")
    return scrub_cut(text, limit, keep) or ""


def display_path(path: Any) -> str:
    """A file path (or any user-given label) as it may be written: secrets and PII in it replaced (:func:`scrub`)."""
    return scrub(str(path)) or ""


def display_spec(spec: str | None) -> str:
    """The candidate spec as it may be shown or stored: URL credentials and detected secrets removed.

    The host of a URL spec stays readable, and PII detectors do not rewrite the spec (an MLflow
    ``models:/name@alias`` must stay what it names); only secrets and URL credentials go.
    """
    return redact_secrets(spec)


def spec_identity(spec: str) -> str:
    """What ``--resume`` compares: the shown spec plus a digest of the full one (never the raw spec)."""
    digest = hashlib.sha256(spec.encode("utf-8")).hexdigest()[:16]
    return f"{display_spec(spec)} (sha256 {digest})"
