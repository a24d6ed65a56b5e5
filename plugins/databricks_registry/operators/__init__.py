"""Registry operators: file a transition request, comment on a version, decide a request from its test result."""

from databricks_registry.operators.decision import TransitionRequestDecisionOperator
from databricks_registry.operators.transition_request import (
    CreateTransitionRequestOperator,
    ModelVersionCommentOperator,
)

__all__ = ["CreateTransitionRequestOperator", "ModelVersionCommentOperator", "TransitionRequestDecisionOperator"]
