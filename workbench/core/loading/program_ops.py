"""What a torch.export or TorchScript program may call before the workbench runs it.

A .pt2 graph or a TorchScript method is a program: besides tensor maths it can name any registered operator,
including ones that read or write files (``aten::from_file``, ``aten::save``), print, profile, or live in a
custom namespace backed by a native library. One policy serves both formats:

* allowed namespaces: ``aten`` and ``prims`` (and, for TorchScript, ``prim``: the interpreter's own control flow);
* denied inside them: :data:`DENIED_OPS`, plus any operator whose schema takes a file name or path;
* everything else (``torch.ops.<other>``, ``profiler::``, ``prim::Print``, higher-order operators other than the
  control-flow ones in :data:`ALLOWED_HIGHER_ORDER`, Python callables other than ``operator``/``math``/symbolic
  helpers) is refused with one line naming the operator.

Running the program at all needs ``--trust-code`` (:func:`require_trust`); this check runs even then.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Optional

from workbench.core.errors import WorkbenchError

ALLOWED_NAMESPACES = ("aten", "prims")
SCRIPT_NAMESPACES = ("aten", "prims", "prim")
# aten / prim operators with effects outside the tensors they return: files, stdout, profiler state.
DENIED_OPS = frozenset({
    "aten::from_file", "aten::save", "aten::_save", "aten::load", "aten::_load", "aten::_print", "aten::print",
    "aten::_record_function_enter", "aten::_record_function_enter_new", "aten::_record_function_exit",
    "prim::Print", "prim::PythonOp", "prim::profile", "prim::profile_ivalue", "prim::CallFunction",
})
# Control-flow higher-order operators: their bodies are graphs of the same archive, checked node by node.
ALLOWED_HIGHER_ORDER = frozenset({"cond", "while_loop", "map_impl", "scan", "associative_scan",
                                  "wrap_with_set_grad_enabled", "wrap_with_autocast"})
_SAFE_OPERATOR = frozenset({
    "getitem", "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "neg", "pos", "abs", "invert",
    "eq", "ne", "lt", "le", "gt", "ge", "and_", "or_", "xor", "not_", "lshift", "rshift", "matmul", "truth",
    "is_", "is_not", "index"})
_SAFE_MATH = frozenset({"ceil", "floor", "trunc", "sqrt", "exp", "log", "log2", "log10", "sin", "cos", "tan",
                        "tanh", "fabs", "isnan", "isinf", "isfinite", "pi", "e", "inf", "nan", "gcd", "copysign",
                        "pow", "fmod", "erf", "atan", "asin", "acos", "sinh", "cosh", "log1p", "expm1"})
_FILE_ARG = re.compile(r"file|path|dir", re.I)
_FIX_HINT = "remove that call from the model and export or script it again; the workbench only runs tensor maths"


def refused_op(qualified: str) -> Optional[str]:
    """Why ``ns::name`` (``aten::from_file``) may not run, or None when it may. Overloads are ignored."""
    namespace, _, name = qualified.partition("::")
    name = name.split(".")[0]
    if f"{namespace}::{name}" in DENIED_OPS:
        return "it touches files, stdout or the profiler"
    if namespace not in SCRIPT_NAMESPACES:
        return f"operators of the '{namespace}' namespace are not torch's built-in tensor maths"
    if namespace != "prim" and _takes_a_file(f"{namespace}::{name}"):
        return "it takes a file name"
    return None


def _takes_a_file(qualified: str) -> bool:
    try:
        import torch

        schemas = torch._C._jit_get_schemas_for_operator(qualified)
    except Exception:  # noqa: BLE001 - an unknown operator: torch will refuse it when it resolves the name
        return False
    return any(str(arg.type) in ("str", "str?") and _FILE_ARG.search(arg.name)
               for schema in schemas for arg in schema.arguments)


def refuse(path, op: str, reason: str) -> WorkbenchError:
    return WorkbenchError(f"{path}: the program calls {op} ({reason}); the workbench refuses to run it", _FIX_HINT)


def require_trust(path, kind: str, trust_code: bool) -> None:
    """Running a TorchScript or torch.export program is running the user's code: only with ``--trust-code``."""
    if not trust_code:
        raise WorkbenchError(
            f"{path} is a {kind} program: exporting, validating or benchmarking it runs the code it contains",
            f"pass --trust-code to allow it (only for files you trust; the GUI asks first); "
            f"`workbench inspect {Path(str(path)).name}` reads it without running anything")


# ---------------------------------------------------------------------------------------- torch.export (.pt2)

def check_export_target(path, target: str) -> None:
    """A node target as the .pt2 JSON names it: ``torch.ops.aten.mean.dim``, ``_operator.getitem``..."""
    reason = _export_target_reason(target)
    if reason:
        raise refuse(path, target, reason)


def _export_target_reason(target: str) -> Optional[str]:
    if not isinstance(target, str):
        return "not an operator name"
    parts = target.split(".")
    if parts[:2] == ["torch", "ops"] and len(parts) >= 4:
        namespace, name = parts[2], parts[3]
        if namespace == "higher_order":
            return None if name in ALLOWED_HIGHER_ORDER else "a higher-order operator that calls other code"
        if namespace not in ALLOWED_NAMESPACES:
            return f"operators of the '{namespace}' namespace are not torch's built-in tensor maths"
        return refused_op(f"{namespace}::{name}")
    if len(parts) == 2 and parts[0] in ("_operator", "operator"):
        return None if parts[1] in _SAFE_OPERATOR else "a Python operator that can call or reach anything"
    if len(parts) == 2 and parts[0] == "math":
        return None if parts[1] in _SAFE_MATH else "not a plain math function"
    if len(parts) == 2 and parts[0] == "torch" and parts[1].startswith(("sym_", "_sym_")):
        return None
    return "not a torch operator"


def export_targets(document) -> Iterable[str]:
    """Every node target in a serialized ExportedProgram (nested graphs of control flow included)."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "target" in item and "inputs" in item and "outputs" in item:
                yield item["target"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_fx_graphs(path, ep) -> None:
    """The loaded ExportedProgram's graphs (and subgraphs), node by node, against the same policy."""
    import math
    import operator

    import torch

    for gm in ep.graph_module.modules():
        graph = getattr(gm, "graph", None)
        for node in graph.nodes if graph is not None else ():
            if node.op != "call_function":
                continue
            target = node.target
            if isinstance(target, torch._ops.OpOverload):
                namespace = target.namespace
                if namespace not in ALLOWED_NAMESPACES:
                    raise refuse(path, target.name(), f"operators of the '{namespace}' namespace are not "
                                                      f"torch's built-in tensor maths")
                reason = refused_op(target.name())
                if reason:
                    raise refuse(path, target.name(), reason)
            elif isinstance(target, torch._ops.HigherOrderOperator):
                if target.name() not in ALLOWED_HIGHER_ORDER:
                    raise refuse(path, f"torch.ops.higher_order.{target.name()}",
                                 "a higher-order operator that calls other code")
            elif not (_same(target, operator, _SAFE_OPERATOR) or _same(target, math, _SAFE_MATH)
                      or _symbolic(target)):
                raise refuse(path, repr(target), "not a torch operator")


def _same(target, module, names) -> bool:
    return any(target is getattr(module, n, None) for n in names)


def _symbolic(target) -> bool:
    return (getattr(target, "__module__", None) or "").startswith("torch") and \
        (getattr(target, "__name__", None) or "").startswith(("sym_", "_sym_"))


# Strings in a .pt2 that torch turns into code: symbolic shapes ("expr_str", parsed by sympy.sympify, which is
# eval) and guards ("guards_code", compiled with exec when ep.module() is built). Only the shapes of expressions
# torch itself writes pass.
_SYMPY_CALLS = frozenset({
    "Symbol", "Integer", "Rational", "Float", "Mul", "Add", "Pow", "Mod", "Max", "Min", "Abs", "floor", "ceiling",
    "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "StrictLessThan", "LessThan", "StrictGreaterThan", "GreaterThan",
    "Equality", "Unequality", "And", "Or", "Not", "Piecewise", "ITE", "sqrt", "FloorDiv", "ModularIndexing",
    "Where", "PythonMod", "CleanDiv", "CeilToInt", "FloorToInt", "CeilDiv", "LShift", "RShift", "PowByNatural",
    "FloatPow", "TruncToFloat", "TruncToInt", "ToFloat", "RoundToInt", "RoundDecimal", "Identity", "IntTrueDiv",
    "FloatTrueDiv", "IsNonOverlappingAndDenseIndicator"})
_SYMPY_CALL_PREFIXES = ("OpaqueUnaryFn_", "BitwiseFn_")
_GUARD_METHODS = frozenset({"size", "stride", "storage_offset", "dim", "numel"})
_UNSAFE_NAMES = frozenset({"eval", "exec", "open", "compile", "getattr", "setattr", "delattr", "globals", "locals",
                           "vars", "input", "breakpoint", "exit", "quit", "help", "type", "object", "print"})


def _expression_ok(tree, call_ok, attribute_ok) -> bool:
    import ast

    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id.startswith("_") or node.id in _UNSAFE_NAMES:
                return False
        elif isinstance(node, ast.Call):
            if not call_ok(node):
                return False
        elif isinstance(node, ast.Attribute):
            if not attribute_ok(node):
                return False
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float, bool, str, type(None))):
                return False
        elif not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.keyword,
                                   ast.Subscript, ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
                                   ast.Load, ast.Tuple)):
            return False
    return True


def _parse(text: str):
    import ast

    if not isinstance(text, str) or len(text) > 100_000:
        return None
    try:
        return ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def check_sympy_expr(path, text) -> None:
    """A symbolic size as the archive writes it (``Symbol('s0', positive=True, integer=True)``, ``Mul(...)``)."""
    import ast

    def call_ok(node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        return bool(name) and (name in _SYMPY_CALLS or name.startswith(_SYMPY_CALL_PREFIXES))

    tree = _parse(text)
    if tree is None or any(isinstance(n, ast.Subscript) for n in ast.walk(tree)) or \
            not _expression_ok(tree, call_ok, lambda _n: False):
        raise refuse(path, f"the symbolic shape {str(text)[:80]!r}", "not a sympy expression torch writes; "
                     "torch would evaluate it as Python")


def check_guard(path, text) -> None:
    """A shape guard as torch writes it (``L['x'].size()[0] <= 64``)."""
    import ast

    def call_ok(node):
        if isinstance(node.func, ast.Attribute):
            return node.func.attr in _GUARD_METHODS
        return isinstance(node.func, ast.Name) and (node.func.id in _SYMPY_CALLS or
                                                    node.func.id.startswith(_SYMPY_CALL_PREFIXES))

    tree = _parse(text)
    if tree is None or not _expression_ok(tree, call_ok, lambda n: n.attr in _GUARD_METHODS):
        raise refuse(path, f"the guard {str(text)[:80]!r}", "not a shape check torch writes; torch would "
                     "compile it as Python")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if any(n not in _SYMPY_CALLS and n not in ("L", "inf") and not n.startswith(_SYMPY_CALL_PREFIXES)
           for n in names):
        raise refuse(path, f"the guard {str(text)[:80]!r}", "it names something other than the inputs")


def check_program_strings(path, document) -> None:
    """Every string of a serialized ExportedProgram that torch evaluates or compiles: symbolic shapes, guards."""
    for guard in document.get("guards_code") or []:
        check_guard(path, guard)
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "expr_str":
                    check_sympy_expr(path, value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


# ----------------------------------------------------------------------------------------------- TorchScript

def check_script_module(path, module) -> None:
    """Every method of every submodule of a loaded ScriptModule, inlined, node by node (blocks included)."""
    seen = set()
    for sub in module.modules():
        c_module = getattr(sub, "_c", None)
        if c_module is None or id(c_module) in seen:
            continue
        seen.add(id(c_module))
        for name in c_module._method_names():
            graph = c_module._get_method(name).graph.copy()
            import torch

            torch._C._jit_pass_inline(graph)
            _check_script_block(path, graph.nodes(), f"{name}()")


def _check_script_block(path, nodes, where: str) -> None:
    for node in nodes:
        kind = node.kind()
        reason = refused_op(kind)
        if reason:
            raise refuse(path, f"{kind} in {where}", reason)
        for block in node.blocks():
            _check_script_block(path, block.nodes(), where)
