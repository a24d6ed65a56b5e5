"""Registry operators: file a transition request, decide a request from its test result."""

from databricks_registry.operators.decision import TransitionRequestDecisionOperator
from databricks_registry.operators.transition_request import CreateTransitionRequestOperator

__all__ = ["CreateTransitionRequestOperator", "TransitionRequestDecisionOperator"]
