"""Strict YANG validation of descriptors with OSM's pyangbind bindings, reporting every problem.

OSM's NBI loads a descriptor with ``pybindJSONDecoder.load_ietf_json(..., skip_unknown=False)`` and
answers 422 with the first exception's text. That text has no path and stops at the first error, so
we walk the document alongside the same binding objects, following the loader's own branches
(containers, keyed lists, leaf-lists, leaves, ``empty`` and ``identityref`` handling), recording
each failure with its path and carrying on. The real loader then runs on the same document, so a
document we accept is exactly one OSM accepts; should the walk ever miss something the loader
rejects, the loader's message is reported too.
"""

from __future__ import annotations

import copy
import decimal
import json
from typing import Any

from pyangbind.lib import pybindJSON
from pyangbind.lib.serialise import pybindJSONDecoder
from pyangbind.lib.yangtypes import safe_name

from osm_locus.im import bindings

Finding = tuple[str, str]  # (path, message)


def envelope(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Wrap a descriptor body the way OSM's NBI does before handing it to pyangbind."""
    if kind == "vnfd":
        return {"etsi-nfv-vnfd:vnfd": body}
    if kind == "nsd":
        return {"nsd": {"nsd": [body]}}
    return {"nst": [body]}


def check(kind: str, body: dict[str, Any], root: str) -> list[Finding]:
    """All YANG problems of ``body`` (a ``vnfd``/``nsd``/``nst`` body); paths start at ``root``."""
    obj = bindings.root_object(kind)
    findings: list[Finding] = []
    wrapped = envelope(kind, copy.deepcopy(body))
    inner_obj, inner_data = _descend_envelope(kind, obj, wrapped)
    _walk(inner_obj, inner_data, root, findings)
    try:
        pybindJSONDecoder.load_ietf_json(
            envelope(kind, copy.deepcopy(body)),
            None,
            None,
            obj=bindings.root_object(kind),
            path_helper=True,
            skip_unknown=False,
        )
    except Exception as exc:  # noqa: BLE001 - pyangbind raises many types; OSM catches all too
        if not findings:
            findings.append((root, f"pyangbind validation failed: {_describe(exc)}"))
    return findings


def normalise(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The descriptor as OSM stores it after validation (typed, serialised, prefixes removed)."""
    obj = bindings.root_object(kind)
    pybindJSONDecoder.load_ietf_json(
        envelope(kind, copy.deepcopy(body)),
        None,
        None,
        obj=obj,
        path_helper=True,
        skip_unknown=False,
    )
    out = json.loads(pybindJSON.dumps(obj, mode="ietf"))
    out = _strip_prefixes(out)
    if kind == "vnfd":
        result: dict[str, Any] = out["vnfd"]
    elif kind == "nsd":
        result = out["nsd"]["nsd"][0]
    else:
        result = out["nst"][0]
    return result


def _descend_envelope(kind: str, obj: Any, wrapped: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    # The envelope itself is ours and always valid: start the walk at the descriptor body.
    if kind == "vnfd":
        return obj.vnfd, wrapped["etsi-nfv-vnfd:vnfd"]
    if kind == "nsd":
        body = wrapped["nsd"]["nsd"][0]
        return _add_entry(obj.nsd.nsd, body), body
    body = wrapped["nst"][0]
    return _add_entry(obj.nst, body), body


def _add_entry(ylist: Any, elem: dict[str, Any]) -> Any:
    try:
        return ylist.add(str(elem.get("id", "")))
    except (KeyError, ValueError):
        return ylist.add("_")


def _walk(obj: Any, data: dict[str, Any], path: str, out: list[Finding]) -> None:
    for key, value in data.items():
        if not isinstance(key, str):
            out.append((path, f"key {key!r} is not a string"))
            continue
        if key == "@" or "@" in key:
            continue
        ykey = key.split(":")[-1]
        here = f"{path}.{ykey}" if path else ykey
        getter = getattr(obj, f"_get_{safe_name(ykey)}", None)
        if getter is None:
            out.append((here, f"unknown key '{ykey}' (not in the SOL006/OSM model)"))
            continue
        child = getter()
        if isinstance(value, dict):
            _walk_container(child, value, here, out)
        elif isinstance(value, list):
            _walk_list(obj, ykey, child, value, here, out)
        else:
            _set_leaf(obj, ykey, child, value, here, out)


def _walk_container(child: Any, value: dict[str, Any], here: str, out: list[Finding]) -> None:
    if not hasattr(child, "_pyangbind_elements"):
        out.append((here, "expected a value, found a mapping"))
        return
    if getattr(child, "_presence", False):
        child._set_present()
    _walk(child, value, here, out)


def _walk_list(
    parent: Any, ykey: str, child: Any, value: list[Any], here: str, out: list[Finding]
) -> None:
    if not hasattr(child, "_keyval"):
        if hasattr(child, "_pyangbind_elements"):
            out.append((here, "expected a mapping, found a list"))
            return
        _set_leaf(parent, ykey, child, value, here, out)  # leaf-list
        return
    for index, elem in enumerate(value):
        if not isinstance(elem, dict):
            out.append((f"{here}[{index}]", "list entry must be a mapping"))
            continue
        entry, label = _list_entry(child, elem, here, index, out)
        if entry is not None:
            _walk(entry, elem, f"{here}[{label}]", out)


def _list_entry(
    ylist: Any, elem: dict[str, Any], here: str, index: int, out: list[Finding]
) -> tuple[Any, str]:
    if ylist._keyval is False:
        return ylist[ylist.add()], str(index)
    ykeys = ylist._yang_keys.split(" ")
    missing = [k for k in ykeys if k not in elem]
    if missing:
        out.append((f"{here}[{index}]", f"list entry lacks its key {', '.join(missing)}"))
        return None, str(index)
    pkeys = ylist._keyval.split(" ")
    label = " ".join(str(elem[k]) for k in ykeys)
    try:
        if len(ykeys) == 1:
            return (ylist[label] if label in ylist else ylist.add(elem[ykeys[0]])), label
        kwargs = {p: elem[y] for p, y in zip(pkeys, ykeys, strict=True)}
        return (ylist[label] if label in ylist else ylist.add(**kwargs)), label
    except Exception as exc:  # noqa: BLE001 - as above
        out.append((f"{here}[{label}]", f"invalid key value: {_describe(exc)}"))
        return None, label


def _set_leaf(
    parent: Any, ykey: str, child: Any, value: Any, here: str, out: list[Finding]
) -> None:
    if hasattr(child, "_pyangbind_elements") or hasattr(child, "_keyval"):
        out.append(
            (
                here,
                f"expected a {'list' if hasattr(child, '_keyval') else 'mapping'}, "
                f"found {type(value).__name__} {value!r}",
            )
        )
        return
    if getattr(child, "_is_keyval", False) is True:
        return
    val = value
    if getattr(child, "_yang_type", None) == "empty":
        if val != [None]:
            out.append((here, f"invalid value for an 'empty' leaf: {val!r} (write [null])"))
            return
        val = True
    if getattr(child, "_yang_type", None) == "identityref" and isinstance(val, str) and ":" in val:
        val = val.split(":", 1)[1]
    if val is None:
        return
    try:
        getattr(parent, f"_set_{safe_name(ykey)}")(val)
    except Exception as exc:  # noqa: BLE001 - pyangbind raises ValueError, decimal errors, ...
        out.append((here, f"invalid value {value!r}: {_describe(exc, child)}"))


def _describe(exc: BaseException, leaf: Any = None) -> str:
    if isinstance(exc, decimal.InvalidOperation):
        return "not a decimal number"
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, dict):
        text = str(detail.get("error-string", detail))
        allowed = _allowed_values(leaf)
        return f"{text} ({allowed})" if allowed else text
    return str(detail)


def _allowed_values(leaf: Any) -> str:
    restriction = getattr(leaf, "_restriction_dict", None) or {}
    keys = restriction.get("dict_key")
    if isinstance(keys, dict) and keys:
        return "allowed: " + ", ".join(sorted(keys))
    pattern = restriction.get("pattern")
    return f"pattern: {pattern}" if pattern else ""


def _strip_prefixes(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).split(":")[-1]: _strip_prefixes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_prefixes(v) for v in value]
    return value
