"""Registry operators: file a transition request, decide a request from its test result, register the webhook."""

from databricks_registry.operators.decision import TransitionRequestDecisionOperator
from databricks_registry.operators.transition_request import CreateTransitionRequestOperator
from databricks_registry.operators.webhook import RegisterRegistryWebhookOperator

__all__ = ["CreateTransitionRequestOperator", "RegisterRegistryWebhookOperator", "TransitionRequestDecisionOperator"]
