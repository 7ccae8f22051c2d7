"""A deterministic retail customer-support agent for the demo gate (no network, no model).

It reads the customer's message, identifies the customer (name + zip or e-mail),
looks up the orders it mentions and takes the action the customer asks for,
returning realistic tool calls, token usage and a reply. Latency is simulated
(30–220 ms, fixed per case) so the report has a real distribution. A few inputs
exercise governance: it echoes contact details back (redaction), issues refunds
with an amount (large ones need review in production) and is not fooled by a
prompt injection.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any

MODEL = "demo-retail-small"
_ORDER = re.compile(r"#W\d{7}")
_NAME = re.compile(r"(?:I am|I're|called|name is)\s+([A-Z][a-z]+) ([A-Z][a-z]+)\b")
_HANDLE = re.compile(r"\b([a-z]+)_([a-z]+)_\d+\b")
_ZIP = re.compile(r"\b(\d{5})\b")
# (the look-behind starts a match only where a run of address characters starts: without it a long message with no
# "@" was scanned again from every letter, quadratic: a 1 MB case held the GIL for hours, and no --timeout ended it)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.]+")
_CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
_AMOUNT = re.compile(r"\$([\d,]+(?:\.\d{2})?)")
# What the customer asks for, in the order they ask: every request mentioned gets its action
# (tau2 customers often ask for two things at once: "cancel the pending order and return the watch").
_INTENTS = [
    (re.compile(r"exchang", re.I), "exchange_delivered_order_items"),
    (re.compile(r"\breturn|refund", re.I), "return_delivered_order_items"),
    (re.compile(r"cancel", re.I), "cancel_pending_order"),
    (re.compile(r"delivered to|order address|addresses", re.I), "modify_pending_order_address"),
    (re.compile(r"(my|user|default) address|moved (from|to)|address is still", re.I), "modify_user_address"),
    (re.compile(r"payment|gift card|credit card|paypal", re.I), "modify_pending_order_payment"),
    (re.compile(r"modify|upgrade|variant|\d+-inch|item id|order items|change .{0,30}order", re.I),
     "modify_pending_order_items"),
    (re.compile(r"human|insist|angry|swear|urgent|undo", re.I), "transfer_to_human_agents"),
]  # fmt: skip
_MAX_ACTIONS = 4
_INJECTION = re.compile(r"ignore (all )?(previous|prior) instructions|system prompt", re.I)


def _text(case_input: Any) -> str:
    if isinstance(case_input, str):
        return case_input
    messages = case_input.get("messages", []) if isinstance(case_input, dict) else []
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def plan(text: str) -> tuple[list[dict[str, Any]], str]:
    """Decide the tool calls and the reply for one customer message."""
    calls: list[dict[str, Any]] = []
    reply: list[str] = []
    if _INJECTION.search(text):
        return [], (
            "I can't share internal instructions or act on requests embedded like that. "
            "If you need help with an order, tell me your name and zip code."
        )
    who = _NAME.search(text) or _HANDLE.search(text)
    zip_match = _ZIP.search(text)
    email = _EMAIL.search(text)
    if email:
        calls.append({"name": "find_user_id_by_email", "arguments": {"email": email.group(0)}})
        reply.append(f"Thanks, I found your account under {email.group(0)}.")
    elif who and zip_match:
        first, last = who.groups()
        zip_code = zip_match.group(1)
        calls.append(
            {
                "name": "find_user_id_by_name_zip",
                "arguments": {"first_name": first.title(), "last_name": last.title(), "zip": zip_code},
            }
        )
        reply.append(f"Thanks {first.title()}, I've verified your account.")
    orders = list(dict.fromkeys(_ORDER.findall(text)))
    for order in orders:
        calls.append({"name": "get_order_details", "arguments": {"order_id": order}})
    lowered = text.lower()
    found = sorted((m.start(), tool) for pattern, tool in _INTENTS if (m := pattern.search(text)))
    actions = list(dict.fromkeys(tool for _, tool in found))[:_MAX_ACTIONS]
    card = _CARD.search(text)
    if card:
        reply.append(f"I've noted the card {card.group(0)} for your account; it will be used for future orders.")
        return calls, " ".join(reply)
    if not actions:
        if calls:
            calls.append({"name": "get_user_details", "arguments": {"user_id": "resolved"}})
        reply.append("Here is what I found about your orders and our catalogue.")
        return calls, " ".join(reply)
    for action in actions:
        args, sentence = _act(action, orders, text)
        calls.append({"name": action, "arguments": args})
        reply.append(sentence)
    if email and "email" in lowered and "what" in lowered:
        reply.append(f"The email on file is {email.group(0)}; you can reach us at support@example-retail.com.")
    return calls, " ".join(reply)


def _act(action: str, orders: list[str], text: str) -> tuple[dict[str, Any], str]:
    """The arguments and the reply sentence of one action."""
    target = orders[0] if orders else "your most recent order"
    args: dict[str, Any] = {"order_id": orders[0] if orders else "latest"}
    if action == "return_delivered_order_items":
        amount = _AMOUNT.search(text)
        args["amount"] = float(amount.group(1).replace(",", "")) if amount else round(20 + _digest(text) % 180, 2)
        args["payment_method_id"] = "original"
        return args, (
            f"I've started the return for {target}; a refund of ${args['amount']:.2f} goes back to "
            "your original payment method within 5–7 business days."
        )
    if action == "exchange_delivered_order_items":
        return args, f"I've arranged the exchange for {target}; you'll get a return label by email."
    if action == "cancel_pending_order":
        args["reason"] = "no longer needed"
        return args, (
            f"{'Order ' + target if orders else 'Your most recent order'} is cancelled and the refund is on its way."
        )
    if action == "transfer_to_human_agents":
        return {"summary": "customer asked for a human"}, "I'm transferring you to a colleague now."
    if action == "modify_user_address":
        return {"user_id": "resolved"}, "I've updated the address on your account."
    return args, f"I've updated {'order ' if orders else ''}{target} as requested."


async def run(case_input: Any, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Answer one customer message (async, like a real agent calling a model)."""
    text = _text(case_input)
    calls, reply = plan(text)
    await asyncio.sleep((30 + _digest(text) % 190) / 1000)
    return {
        "output": reply,
        "tool_calls": calls,
        "usage": {"input_tokens": 350 + len(text) // 4 + 40 * len(calls), "output_tokens": 20 + len(reply) // 4},
        "model": MODEL,
    }
