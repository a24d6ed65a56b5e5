"""Jinja templates of the pages (kept in Python so they ship with the package without package-data settings).

Autoescaping is on for every template: model names, comments, parameters and logs are user data.
"""

from __future__ import annotations

from local_workspace.unity_catalog.page_templates import TEMPLATES as UNITY_CATALOG_TEMPLATES

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
{% if refresh %}<meta http-equiv="refresh" content="{{ refresh }}">{% endif %}
<title>{% block title %}{% endblock %} · Local workspace</title>
<link rel="stylesheet" href="{{ css_url }}"></head>
<body><header><a class="brand" href="/">Local workspace</a>
<nav><a href="/">MLflow UI</a><a href="/jobs/runs">Job runs</a><a href="/registry/models">Registered models</a><a href="/explore/data/models">Unity Catalog models</a></nav>
<span class="user">{{ viewer }}</span></header>
<main>{% block body %}{% endblock %}</main></body></html>"""

MACROS = """
{% macro state(row) -%}
<span class="state {{ (row.result_state or row.life_cycle_state)|lower }}">{{ row.life_cycle_state }}{% if row.result_state %} · {{ row.result_state }}{% endif %}</span>
{%- endmacro %}
{% macro version_links(name, version) -%}
<a href="/registry/models/{{ name|q }}/versions/{{ version }}">{{ name }} version {{ version }}</a>
(<a href="/#/models/{{ name|q }}/versions/{{ version }}">MLflow UI</a>)
{%- endmacro %}
"""

RUN = """{% extends "base.html" %}{% import "macros.html" as m %}
{% block title %}{{ 'Task run' if view.parent else 'Run' }} {{ view.run.run_id }}{% endblock %}
{% block body %}
<p class="crumbs"><a href="/jobs/runs">Job runs</a> ›
{% if view.parent %}<a href="/jobs/runs/{{ view.parent.run_id }}">Run {{ view.parent.run_id }}</a> › task {{ view.run.task_key }}
{% else %}Run {{ view.run.run_id }}{% endif %}</p>
<h1>{{ view.run.run_name }}{% if view.parent %} · task {{ view.run.task_key }}{% endif %}</h1>
<table class="facts">
<tr><th>{{ 'Task run id' if view.parent else 'Run id' }}</th><td>{{ view.run.run_id }}</td></tr>
<tr><th>State</th><td>{{ m.state(view.run) }}</td></tr>
{% if view.run.state_message %}<tr><th>Message</th><td>{{ view.run.state_message }}</td></tr>{% endif %}
<tr><th>Submitted by</th><td>{{ view.run.creator_user_name }}</td></tr>
<tr><th>Submitted</th><td>{{ view.run.submit_time|ts }}</td></tr>
<tr><th>Started</th><td>{{ view.run.start_time|ts }}</td></tr>
<tr><th>Ended</th><td>{{ view.run.end_time|ts }}</td></tr>
<tr><th>Duration</th><td>{{ view.run|duration }}</td></tr>
{% if view.run.used_commit %}<tr><th>Git commit</th><td><code>{{ view.run.used_commit }}</code></td></tr>{% endif %}
</table>
{% if not view.parent %}
<h2>Tasks</h2>
<table class="list"><tr><th>Task</th><th>Task run</th><th>State</th><th>Notebook</th><th>Duration</th></tr>
{% for t in view.tasks %}<tr><td><a href="#task-{{ t.row.run_id }}">{{ t.row.task_key }}</a></td>
<td><a href="/jobs/runs/{{ t.row.run_id }}">{{ t.row.run_id }}</a></td><td>{{ m.state(t.row) }}</td>
<td><code>{{ t.notebook_path or '' }}</code></td><td>{{ t.row|duration }}</td></tr>
{% else %}<tr><td colspan="5" class="muted">This run has no tasks.</td></tr>{% endfor %}
</table>
{% endif %}
{% for t in view.tasks %}
<section class="task" id="task-{{ t.row.run_id }}">
{% if not view.parent %}<h2>Task {{ t.row.task_key }} <small><a href="/jobs/runs/{{ t.row.run_id }}">task run {{ t.row.run_id }}</a></small></h2>
<p>{{ m.state(t.row) }} {% if t.row.state_message %}<span class="muted">{{ t.row.state_message }}</span>{% endif %}</p>{% endif %}
{% if t.notebook_path %}<p>Notebook <code>{{ t.notebook_path }}</code></p>{% endif %}
<h3>Parameters</h3>
{% if t.parameters %}<table class="list params"><tr><th>Name</th><th>Value</th></tr>
{% for name, value in t.parameters|dictsort %}<tr><td><code>{{ name }}</code></td><td><pre>{{ value|pretty }}</pre></td></tr>{% endfor %}
</table>{% else %}<p class="muted">No parameters.</p>{% endif %}
{% if t.model_refs %}<h3>Model versions</h3><ul>
{% for ref in t.model_refs %}<li>Registry activity of {{ m.version_links(ref.name, ref.version) }}</li>{% endfor %}</ul>{% endif %}
<h3>Notebook output</h3>
{% if t.row.result_text is not none %}<pre class="output">{{ t.row.result_text|pretty }}</pre>
{% if t.row.result_truncated %}<p class="muted">The exit value was truncated.</p>{% endif %}
{% if t.output_json is mapping and t.output_json.report_markdown is string %}<h3>Report</h3><pre class="report">{{ t.output_json.report_markdown }}</pre>{% endif %}
{% else %}<p class="muted">No exit value{% if not t.row.is_terminal %} yet{% endif %}.</p>{% endif %}
{% set error = t.row.error or (t.row.state_message if t.row.is_terminal and t.row.result_state not in (none, 'SUCCESS') else none) %}
{% if error %}<h3>Error</h3><pre class="error">{{ error }}</pre>{% endif %}
{% if t.row.error_trace %}<details open><summary>Error trace</summary><pre class="error">{{ t.row.error_trace }}</pre></details>{% endif %}
<h3>Logs</h3>
{% if t.logs %}<details{% if error %} open{% endif %}><summary>stdout and stderr{% if t.logs[1] %} (last {{ log_kb }} KB){% endif %}</summary>
<pre class="logs">{{ t.logs[0] }}</pre></details>
{% else %}<p class="muted">No logs: the notebook has not started.</p>{% endif %}
</section>
{% endfor %}
{% endblock %}"""

RUNS = """{% extends "base.html" %}{% import "macros.html" as m %}
{% block title %}Job runs{% endblock %}
{% block body %}<h1>Job runs</h1>
<table class="list"><tr><th>Run</th><th>Name</th><th>State</th><th>Submitted by</th><th>Submitted</th><th>Duration</th></tr>
{% for run in runs %}<tr><td><a href="/jobs/runs/{{ run.run_id }}">{{ run.run_id }}</a></td><td>{{ run.run_name }}</td>
<td>{{ m.state(run) }}</td><td>{{ run.creator_user_name }}</td><td>{{ run.submit_time|ts }}</td><td>{{ run|duration }}</td></tr>
{% else %}<tr><td colspan="6" class="muted">No runs yet.</td></tr>{% endfor %}</table>
{% endblock %}"""

MODEL_VERSION = """{% extends "base.html" %}
{% block title %}{{ name }} version {{ version }}{% endblock %}
{% block body %}
<p class="crumbs"><a href="/registry/models">Registered models</a> › <a href="/registry/models/{{ name|q }}">{{ name }}</a> › version {{ version }}</p>
<h1>{{ name }} · version {{ version }}</h1>
<table class="facts">
<tr><th>Stage</th><td><span class="stage">{{ mv.current_stage }}</span></td></tr>
<tr><th>Status</th><td>{{ mv.status }}</td></tr>
<tr><th>Created</th><td>{{ mv.creation_timestamp|ts }}{% if mv.user_id %} by {{ mv.user_id }}{% endif %}</td></tr>
{% if mv.run_id %}<tr><th>Source run</th><td><a href="/#/runs/{{ mv.run_id|q }}">{{ mv.run_id }}</a></td></tr>{% endif %}
{% if mv.description %}<tr><th>Description</th><td><pre>{{ mv.description }}</pre></td></tr>{% endif %}
</table>
<p><a href="/#/models/{{ name|q }}/versions/{{ version }}">Open this version in the MLflow UI</a></p>
<h2>Transition requests</h2>
<table class="list"><tr><th>Requested</th><th>By</th><th>Transition</th><th>Status</th><th>Comment</th><th>Closed</th></tr>
{% for r in activity.requests %}<tr class="request {{ r.status|lower }}"><td>{{ r.creation_timestamp|ts }}</td><td>{{ r.user_id }}</td>
<td>{{ r.from_stage }} → {{ r.to_stage }}</td><td><span class="status {{ r.status|lower }}">{{ r.status }}</span></td>
<td>{% if r.comment %}<pre>{{ r.comment }}</pre>{% endif %}</td>
<td>{% if r.status != 'OPEN' %}{{ r.last_updated_timestamp|ts }}{% endif %}</td></tr>
{% else %}<tr><td colspan="6" class="muted">No transition requests.</td></tr>{% endfor %}</table>
<h2>Comments</h2>
{% for c in activity.comments %}<article class="comment"><p class="meta">{{ c.user_id }} · {{ c.creation_timestamp|ts }}
{% if c.last_updated_timestamp != c.creation_timestamp %} · edited {{ c.last_updated_timestamp|ts }}{% endif %}</p>
<pre>{{ c.comment }}</pre></article>
{% else %}<p class="muted">No comments.</p>{% endfor %}
<h2>Activity</h2>
<table class="list"><tr><th>When</th><th>Activity</th><th>By</th><th>Transition</th><th>Comment</th></tr>
{% for a in activity.activities %}<tr class="activity {{ a.activity_type|lower }}"><td>{{ a.creation_timestamp|ts }}</td>
<td>{{ a.activity_type|activity_label }} <code class="muted">{{ a.activity_type }}</code></td><td>{{ a.user_id or '' }}</td>
<td>{% if a.to_stage %}{{ a.from_stage or '' }} → {{ a.to_stage }}{% endif %}</td>
<td>{% if a.comment %}<pre>{{ a.comment }}</pre>{% endif %}{% if a.system_comment %}<pre class="system">{{ a.system_comment }}</pre>{% endif %}</td></tr>
{% else %}<tr><td colspan="5" class="muted">No activity.</td></tr>{% endfor %}</table>
{% endblock %}"""

MODEL = """{% extends "base.html" %}
{% block title %}{{ name }}{% endblock %}
{% block body %}
<p class="crumbs"><a href="/registry/models">Registered models</a> › {{ name }}</p>
<h1>{{ name }}</h1>
{% if registered.description %}<pre>{{ registered.description }}</pre>{% endif %}
<p><a href="/#/models/{{ name|q }}">Open this model in the MLflow UI</a></p>
<h2>Versions</h2>
<table class="list"><tr><th>Version</th><th>Stage</th><th>Status</th><th>Created</th><th>Open requests</th><th>MLflow UI</th></tr>
{% for mv in versions %}<tr><td><a href="/registry/models/{{ name|q }}/versions/{{ mv.version }}">version {{ mv.version }}</a></td>
<td><span class="stage">{{ mv.current_stage }}</span></td><td>{{ mv.status }}</td><td>{{ mv.creation_timestamp|ts }}</td>
<td>{{ open_counts.get(mv.version|string, 0) }}</td><td><a href="/#/models/{{ name|q }}/versions/{{ mv.version }}">open</a></td></tr>
{% else %}<tr><td colspan="6" class="muted">No versions.</td></tr>{% endfor %}</table>
{% endblock %}"""

MODELS = """{% extends "base.html" %}
{% block title %}Registered models{% endblock %}
{% block body %}<h1>Registered models</h1>
<table class="list"><tr><th>Model</th><th>Latest versions</th><th>Updated</th></tr>
{% for model in models %}<tr><td><a href="/registry/models/{{ model.name|q }}">{{ model.name }}</a></td>
<td>{% for mv in model.latest_versions or [] %}<a href="/registry/models/{{ model.name|q }}/versions/{{ mv.version }}">v{{ mv.version }}</a> <span class="stage">{{ mv.current_stage }}</span> {% endfor %}</td>
<td>{{ (model.last_updated_timestamp or 0)|int|ts }}</td></tr>
{% else %}<tr><td colspan="3" class="muted">No registered models.</td></tr>{% endfor %}</table>
{% if more %}<p class="muted">Showing the first {{ models|length }} models.</p>{% endif %}
{% endblock %}"""

NOT_FOUND = """{% extends "base.html" %}
{% block title %}Not found{% endblock %}
{% block body %}<h1>Not found</h1><p>{{ message }}</p>{% endblock %}"""

TEMPLATES = {
    "base.html": BASE,
    "macros.html": MACROS,
    "run.html": RUN,
    "runs.html": RUNS,
    "model_version.html": MODEL_VERSION,
    "model.html": MODEL,
    "models.html": MODELS,
    "not_found.html": NOT_FOUND,
    **UNITY_CATALOG_TEMPLATES,
}
