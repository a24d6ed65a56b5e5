"""`local-workspace serve`: run the Databricks-compatible local workspace in the foreground."""

from __future__ import annotations

import argparse
import copy
import logging
import os
import secrets
import shlex
import signal
import stat
import sys
import threading
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from local_workspace.config import DEFAULT_DATA_DIR, DEFAULT_PORT, LEVELS, UsersFileError, read_users_file

TOKEN_ENV = "LOCAL_WORKSPACE_TOKEN"
PUBLIC_URL_ENV = "LOCAL_WORKSPACE_PUBLIC_URL"
TOKEN_FILE_ENV = "LOCAL_WORKSPACE_TOKEN_FILE"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="local-workspace", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve MLflow + Databricks registry + Jobs API on one base URL")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument(
        "--token-file",
        default=None,
        help=f"file holding the API token (default: ${TOKEN_FILE_ENV}); created with a generated "
        "token (mode 600) if it does not exist. Keeps the token off the command line",
    )
    serve.add_argument(
        "--token",
        default=None,
        help=f"API token (visible to every local user in `ps`: prefer --token-file; default: "
        f"${TOKEN_ENV}; if no token is given, one is generated and printed)",
    )
    serve.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="state: databases, artifacts, run logs")
    serve.add_argument(
        "--workspace-dir", default=None, help="where workspace notebook paths resolve (default: current directory)"
    )
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    serve.add_argument("--max-concurrent-runs", type=int, default=2, help="job runs executing at once")
    serve.add_argument(
        "--users-file", default=None, help='JSON {"<token>": "<user name>" | {"user": ..., "permission": "CAN_EDIT"}}'
    )
    serve.add_argument("--user", default=None, help="user name of --token (default: local-user@example.com)")
    serve.add_argument(
        "--public-url",
        default=os.environ.get(PUBLIC_URL_ENV) or None,
        help="base URL a browser uses to reach this server when it differs from --host/--port "
        f"(e.g. a published container port); used in run_page_url (default: ${PUBLIC_URL_ENV})",
    )
    serve.add_argument("--log-level", default="info")
    return parser


def _validate(args: argparse.Namespace) -> None:
    if not 0 < args.port < 65536:
        raise SystemExit(f"--port must be between 1 and 65535, got {args.port}")
    if args.workers < 1 or args.max_concurrent_runs < 1:
        raise SystemExit("--workers and --max-concurrent-runs must be at least 1")
    if args.users_file:
        try:
            read_users_file(Path(args.users_file))
        except UsersFileError as exc:
            raise SystemExit(
                f"--users-file {args.users_file}: {exc} (expected a JSON object "
                '{"<token>": "<user name>", ...} or {"<token>": {"user": "<user name>", "permission": "CAN_EDIT"}, ...}; '
                f"permission levels: {', '.join(LEVELS)})"
            ) from None
    if args.public_url:
        args.public_url = _validate_public_url(args.public_url)


def _validate_public_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SystemExit(f"--public-url must be an http(s) URL with a host and no query or fragment, got {url!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise SystemExit(f"--public-url {url!r}: {exc}") from exc
    return url.rstrip("/")


def resolve_token(args: argparse.Namespace) -> str:
    """--token, else --token-file / $LOCAL_WORKSPACE_TOKEN_FILE, else $LOCAL_WORKSPACE_TOKEN, else a new one."""
    token_file = args.token_file or os.environ.get(TOKEN_FILE_ENV)
    if args.token and token_file:
        raise SystemExit("pass either --token or --token-file, not both")
    if args.token:
        return args.token
    if token_file:
        return _read_or_create_token_file(Path(token_file))
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token
    token = secrets.token_urlsafe(24)
    # Printed once, to stdout only: the user needs it to call the API or sign in to the UI.
    print(f"Generated token (use --token-file to keep one): {token}", flush=True)
    return token


def _read_or_create_token_file(path: Path) -> str:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL + mode 600: a new file is never readable by other users, not even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise SystemExit(f"--token-file {path}: cannot create it: {exc}") from exc
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24) + "\n")
        print(f"Generated a token into {path} (sign in with its content)", flush=True)
    try:
        with open(path, "rb") as f:
            # Checked on the open file, so the mode and the content are of the same file.
            mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
            if mode & 0o077:
                raise SystemExit(
                    f"--token-file {path}: other users can access it (mode {mode:03o}); the token "
                    f"grants full access to the workspace. Run: chmod 600 {shlex.quote(str(path))}"
                )
            token = f.read().decode().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"--token-file {path}: cannot read it: {exc}") from exc
    if not token or any(ch.isspace() for ch in token):
        raise SystemExit(
            f"--token-file {path}: must hold one token (no spaces), got "
            f"{'an empty file' if not token else 'several words'}"
        )
    return token


def export_environment(args: argparse.Namespace, token: str) -> str:
    """Set the LOCAL_WORKSPACE_* variables `WorkspaceConfig.from_env` reads in every worker; return the URL."""
    url_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    if ":" in url_host:  # an IPv6 literal needs brackets in a URL
        url_host = f"[{url_host}]"
    url = f"http://{url_host}:{args.port}"
    os.environ["LOCAL_WORKSPACE_DATA_DIR"] = str(Path(args.data_dir).resolve())
    os.environ["LOCAL_WORKSPACE_URL"] = url
    os.environ[TOKEN_ENV] = token
    os.environ["LOCAL_WORKSPACE_WORKSPACE_DIR"] = str(Path(args.workspace_dir or os.getcwd()).resolve())
    os.environ["LOCAL_WORKSPACE_MAX_CONCURRENT_RUNS"] = str(args.max_concurrent_runs)
    if args.users_file:
        os.environ["LOCAL_WORKSPACE_USERS_FILE"] = str(Path(args.users_file).resolve())
    if args.user:
        os.environ["LOCAL_WORKSPACE_USER"] = args.user
    if args.public_url:
        os.environ[PUBLIC_URL_ENV] = args.public_url
    else:
        os.environ.pop(PUBLIC_URL_ENV, None)
    return url


class PathOnlyAccessLog(logging.Filter):
    """Drop the query string from uvicorn's access log lines: queries can carry signatures and user input."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client_addr, method, full_path, http_version, status_code)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def access_log_config() -> dict:
    """uvicorn's default logging config with `PathOnlyAccessLog` on the access handler (applied in every worker)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["path_only"] = {"()": f"{__name__}.PathOnlyAccessLog"}
    config["handlers"]["access"].setdefault("filters", []).append("path_only")
    return config


def _announce_when_ready(url: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    print(f"Local workspace ready at {url}", flush=True)
                    return
        except OSError:
            pass
        stop.wait(0.2)


def _start_dispatcher(config):
    from local_workspace.jobs.dispatcher import Dispatcher

    dispatcher = Dispatcher(config)
    dispatcher.start()
    return dispatcher


def _start_webhook_deliverer(config):
    from local_workspace.webhooks.deliverer import Deliverer

    deliverer = Deliverer(config)
    deliverer.start()
    return deliverer


def _exit_on_signal(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def serve(args: argparse.Namespace) -> int:
    _validate(args)
    token = resolve_token(args)
    url = export_environment(args, token)

    import uvicorn

    from local_workspace.app import configure_mlflow_server_env, init_state
    from local_workspace.config import WorkspaceConfig

    config = WorkspaceConfig.from_env()
    configure_mlflow_server_env(config)
    # Create/migrate both databases once, here, before several workers race to do it.
    from mlflow.server.handlers import initialize_backend_stores

    from local_workspace.artifact_store import ARTIFACT_ROOT_URI

    initialize_backend_stores(config.mlflow_db_uri, config.mlflow_db_uri, ARTIFACT_ROOT_URI)
    init_state(config)

    dispatcher = _start_dispatcher(config)
    # One deliverer per server (here, not in the workers): queued webhook deliveries, resumed after a restart.
    deliverer = _start_webhook_deliverer(config)
    # uvicorn re-raises SIGTERM after its own shutdown; make that an exception so the `finally` below still
    # stops the dispatcher (kills notebook processes, ends their runs) instead of the process dying mid-way.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    stop = threading.Event()
    threading.Thread(target=_announce_when_ready, args=(url, stop), daemon=True).start()
    try:
        uvicorn.run(
            "local_workspace.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            timeout_graceful_shutdown=10,
            # A worker imports MLflow's server before it can answer the supervisor's health ping: on a
            # loaded machine that takes far more than uvicorn's 5 s, and the worker would be killed and
            # restarted in a loop.
            timeout_worker_healthcheck=60,
            log_config=access_log_config(),
        )
    finally:
        stop.set()
        deliverer.stop()
        if dispatcher is not None:
            dispatcher.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
