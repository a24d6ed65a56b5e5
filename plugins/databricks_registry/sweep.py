"""One shared registry poll per (connection, poke interval) for every `TransitionRequestTrigger` in a triggerer.

A quiet poke needs one thing: the model's `latest_versions` (its newest version). With N triggers that is N
`registered-models/get` calls per interval, each paid by its own trigger. A `ModelSweep` answers them together:
every `poke_interval` it reads the latest versions of every waiting model in one round and hands each trigger its
model, so the triggers poke in step, once per round, and the workspace sees per round

* `registered-models/search` pages (1,000 models a page) when that is fewer calls than one get per waiting
  model (it is once more than one model waits, until the workspace holds more than 1,000 models per waiter);
* else one `databricks/registered-models/get` per waiting model (a lone trigger: exactly what it cost alone);
* plus one `get` per waiting model the search did not list (not registered yet, or not readable with this
  connection): the get tells "does not exist (yet)" (wait) from "permission denied" (fail), as before.

So a round never costs more than one call per waiting model. A failed round (search refused, workspace down) is
every waiter's failure: each trigger counts it against its own `max_consecutive_errors`, as it would its own call.
The sweep's reads use the connection and HTTP retry settings of the trigger that started it; it ends when its last
trigger leaves. Everything else a poke needs (requests of new versions, a version's stage) stays each trigger's own.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from databricks_registry.entities import RegisteredModel
from databricks_registry.errors import RegistryError, RegistryResourceNotFound
from databricks_registry.hooks import ModelRegistryHook

SEARCH_REGISTERED_MODELS = ("GET", "2.0/mlflow/registered-models/search")
SEARCH_PAGE_SIZE = 1000

# What each waiting model gets from a round: its model, or the error reading it raised.
RoundAnswer = dict[str, RegisteredModel | RegistryError]


class ModelSweep:
    """The shared poll of one (connection, poke interval) on one event loop; see the module docstring."""

    def __init__(self, hook: ModelRegistryHook, poke_interval: float) -> None:
        self.hook = hook
        self.poke_interval = poke_interval
        self.waiting: dict[str, int] = {}  # model name -> triggers waiting on it
        self.search_pages = 1  # pages the last search took: a search costs that many calls
        self.rounds = 0
        self._next: asyncio.Future[RoundAnswer] = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task[None] | None = None

    def join(self, model_name: str) -> None:
        self.waiting[model_name] = self.waiting.get(model_name, 0) + 1
        self._ensure_running()

    def leave(self, model_name: str) -> None:
        """Stop reading `model_name` for this trigger; the last trigger to leave ends the sweep."""
        self.waiting[model_name] -= 1
        if not self.waiting[model_name]:
            del self.waiting[model_name]
        if not self.waiting and self._task is not None:
            self._task.cancel()

    async def next_model(self, model_name: str) -> RegisteredModel | None:
        """The model from the next round (None: it does not exist); raises the round's error for this model."""
        while True:
            self._ensure_running()
            answers = await asyncio.shield(self._next)
            if model_name in answers:  # a round that started before this model joined did not read it
                break
        answer = answers[model_name]
        if isinstance(answer, RegistryResourceNotFound):
            return None
        if isinstance(answer, RegistryError):
            raise answer
        return answer

    def _ensure_running(self) -> None:
        # A sweep whose last trigger just left is cancelled (or ended by a bug): a new trigger starts a new one.
        if self._task is None or self._task.done() or self._task.cancelling():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="registry sweep")

    async def _run(self) -> None:
        async with self.hook:
            while self.waiting:
                names = sorted(self.waiting)
                future, self._next = self._next, asyncio.get_running_loop().create_future()
                try:
                    answer = await self._read(names)
                except RegistryError as error:
                    answer = dict.fromkeys(names, error)
                except Exception as error:  # a bug: every waiter sees it rather than waits forever
                    future.set_exception(error)
                    raise
                future.set_result(answer)
                self.rounds += 1
                await asyncio.sleep(self.poke_interval)

    async def _read(self, names: list[str]) -> RoundAnswer:
        listed: dict[str, RegisteredModel] = {}
        if len(names) > self.search_pages:
            listed = await self._search()
        missing = [name for name in names if name not in listed]
        gets = await asyncio.gather(*(self._get(name) for name in missing))
        return {**{name: listed[name] for name in names if name in listed}, **dict(zip(missing, gets, strict=True))}

    async def _search(self) -> dict[str, RegisteredModel]:
        models: dict[str, RegisteredModel] = {}
        params: dict[str, Any] = {"max_results": SEARCH_PAGE_SIZE}
        pages = 0
        while True:
            body = await self.hook.a_call(SEARCH_REGISTERED_MODELS, params)
            pages += 1
            for raw in body.get("registered_models") or ():
                model = RegisteredModel.from_dict(raw)
                models[model.name] = model
            if not body.get("next_page_token"):
                break
            params = {**params, "page_token": body["next_page_token"]}
        self.search_pages = pages
        return models

    async def _get(self, name: str) -> RegisteredModel | RegistryError:
        try:
            return await self.hook.a_get_registered_model(name)
        except RegistryError as error:
            return error


_SWEEPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, float], ModelSweep]] = (
    weakref.WeakKeyDictionary()
)


def sweep_for(databricks_conn_id: str, poke_interval: float, make_hook: Any) -> ModelSweep:
    """The running loop's sweep for this connection and interval; `make_hook()` builds its hook if it is new."""
    sweeps = _SWEEPS.setdefault(asyncio.get_running_loop(), {})
    key = (databricks_conn_id, poke_interval)
    sweep = sweeps.get(key)
    if sweep is None or not sweep.waiting:  # an idle sweep's hook may hold an outdated connection: start afresh
        sweep = sweeps[key] = ModelSweep(make_hook(), poke_interval)
    return sweep
