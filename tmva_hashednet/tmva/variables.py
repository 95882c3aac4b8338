"""TMVA's VariableInfo: expression, label, title, unit, internal name, type, range."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VariableInfo", "internal_name", "make_variable"]

_TO_UNDERSCORE = "$&|!%^()'<>?= "
_REPLACEMENTS = (("::", "_"), ("*", "_T_"), ("/", "_D_"), ("+", "_P_"), ("-", "_M_"), ("[", "_"), ("]", "_"))


def internal_name(label: str) -> str:
    """``Tools::ReplaceRegularExpressions(label, "_")``: the TTree branch name."""
    name = label
    for char in _TO_UNDERSCORE:
        name = name.replace(char, "_")
    for old, new in _REPLACEMENTS:
        name = name.replace(old, new)
    return name


@dataclass
class VariableInfo:
    expression: str
    label: str
    title: str
    unit: str
    type: str  # 'F' or 'I'
    min: float = 0.0
    max: float = 0.0

    @property
    def internal(self) -> str:
        return internal_name(self.label)


def make_variable(expression, title: str = "", unit: str = "", var_type: str = "F") -> VariableInfo:
    """``AddVariable("lbl := expr", title, unit, type)``; blanks are removed from the expression."""
    expression = str(expression.GetTitle() if hasattr(expression, "GetTitle") else expression)
    if not expression.strip():
        raise ValueError("a variable needs a non-empty expression")
    label, _, expr = expression.partition(":=")
    if not expr:
        label, expr = expression, expression
    label, expr = label.strip(), expr.replace(" ", "")
    label = label.replace(" ", "") if label == expression.strip() else label
    var_type = str(var_type)
    if var_type not in ("F", "I", "D"):
        raise ValueError(f"variable type '{var_type}' of '{expression}' is not known; allowed: F, I (D is stored as F)")
    return VariableInfo(expr, label, str(title) or label, str(unit), "I" if var_type == "I" else "F")
