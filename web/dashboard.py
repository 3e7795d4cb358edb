"""Datasette plugin: the morning page (``/``) and the material pages (``/material/NAME``).

The home page is Datasette's index with a template of ours (templates/index.html); this
plugin gives it its data through ``extra_template_vars`` (web/home.py: what changed,
coming up, the state today, source health). A material page answers the CLI's status
question for the material (timeline.queries.status) with a Gantt chart of the
announcements that concern it. Read-only, like every page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from sqlite_utils import Database

from web.home import home, material_page

DATABASE = "regwatch"


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> Any:
    if template != "index.html":
        return None

    async def inner() -> dict[str, Any]:
        db = datasette.get_database(DATABASE)
        return {"home": await db.execute_fn(lambda conn: home(Database(conn)))}
    return inner


async def material_view(datasette: Any, request: Any) -> Response:
    name = unquote(request.url_vars["name"]).strip()
    destination = (request.args.get("destination") or "").strip()[:60] or None
    if not name or len(name) > 60:
        raise NotFound("no such material")
    db = datasette.get_database(DATABASE)
    page = await db.execute_fn(
        lambda conn: material_page(Database(conn), name, destination=destination))
    if page is None:
        raise NotFound(f"{name} is not a material, group or code the catalogue knows")
    return Response.html(await datasette.render_template(
        "regwatch_material.html", {"page": page}, request=request))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/material/(?P<name>[^/]{1,180})$", material_view)]
