"""Jinja templates of the Unity Catalog pages (see `pages`); merged into the workspace pages' templates."""

from __future__ import annotations

_BODY_START = """{% extends "base.html" %}
{% block body %}"""
_CRUMBS = """<p class="crumbs"><a href="/explore/data/models">Unity Catalog models</a> ›
{% set c, s, n = model.row.full_name.split('.') %}<a href="/explore/data/models/{{ c|q }}/{{ s|q }}/{{ n|q }}">{{ model.row.full_name }}</a>"""
_TAGS = """{% macro tags(values) %}{% for k, v in values.items() %}<code>{{ k }}={{ v }}</code> {% endfor %}{% endmacro %}"""

TEMPLATES = {
    "uc_models.html": _BODY_START
    + """<h1>Unity Catalog models</h1>
<table class="list"><tr><th>Model</th><th>Owner</th><th>Aliases</th><th>Updated</th></tr>
{% for m in models %}{% set c, s, n = m.row.full_name.split('.') %}<tr><td><a href="/explore/data/models/{{ c|q }}/{{ s|q }}/{{ n|q }}">{{ m.row.full_name }}</a></td>
<td>{{ m.row.owner }}</td><td>{% for a, v in m.aliases.items() %}@{{ a }} → v{{ v }} {% endfor %}</td><td>{{ m.row.updated_at|ts }}</td></tr>
{% else %}<tr><td colspan="4" class="muted">No Unity Catalog models.</td></tr>{% endfor %}</table>
{% if more %}<p class="muted">Showing the first {{ models|length }} models.</p>{% endif %}
{% endblock %}""",
    "uc_model.html": _TAGS
    + _BODY_START
    + _CRUMBS
    + """</p><h1>{{ model.row.full_name }}</h1>
<table class="facts"><tr><th>Owner</th><td>{{ model.row.owner }}</td></tr>
<tr><th>Aliases</th><td>{% for a, v in model.aliases.items() %}@{{ a }} → version {{ v }} {% else %}none{% endfor %}</td></tr>
<tr><th>Tags</th><td>{{ tags(model.tags) }}</td></tr>
{% if model.row.comment %}<tr><th>Description</th><td><pre>{{ model.row.comment }}</pre></td></tr>{% endif %}</table>
<h2>Versions</h2>
<table class="list"><tr><th>Version</th><th>Status</th><th>Aliases</th><th>Tags</th><th>Created</th></tr>
{% for v in versions %}<tr><td><a href="/explore/data/models/{{ c|q }}/{{ s|q }}/{{ n|q }}/version/{{ v.row.version }}">version {{ v.row.version }}</a></td>
<td>{{ v.row.status }}</td><td>{% for a in v.aliases %}@{{ a }} {% endfor %}</td><td>{{ tags(v.tags) }}</td>
<td>{{ v.row.created_at|ts }} by {{ v.row.created_by }}</td></tr>
{% else %}<tr><td colspan="5" class="muted">No versions.</td></tr>{% endfor %}</table>
{% if more %}<p class="muted">Showing the newest {{ versions|length }} versions.</p>{% endif %}
{% endblock %}""",
    "uc_model_version.html": _TAGS
    + _BODY_START
    + _CRUMBS
    + """ › version {{ version.row.version }}</p>
<h1>{{ model.row.full_name }} · version {{ version.row.version }}</h1>
<table class="facts"><tr><th>Status</th><td>{{ version.row.status }}</td></tr>
<tr><th>Aliases</th><td>{% for a in version.aliases %}@{{ a }} {% else %}none{% endfor %}</td></tr>
<tr><th>Tags</th><td>{{ tags(version.tags) }}</td></tr>
<tr><th>Created</th><td>{{ version.row.created_at|ts }} by {{ version.row.created_by }}</td></tr>
<tr><th>Updated</th><td>{{ version.row.updated_at|ts }} by {{ version.row.updated_by }}</td></tr>
{% if version.row.run_id %}<tr><th>Source run</th><td><a href="/#/runs/{{ version.row.run_id|q }}">{{ version.row.run_id }}</a></td></tr>{% endif %}
{% if version.row.source %}<tr><th>Source</th><td><code>{{ version.row.source }}</code></td></tr>{% endif %}
</table>
<h2>Description</h2>{% if version.row.comment %}<pre>{{ version.row.comment }}</pre>{% else %}<p class="muted">No description.</p>{% endif %}
{% endblock %}""",
}
