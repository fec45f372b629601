"""The lab's HTTP API: OSM NBI paths, status codes, record shapes and error bodies (FastAPI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from osm_locus.lab.catalogue import KINDS, Catalogue, Kind
from osm_locus.lab.day2 import Day2
from osm_locus.lab.errors import NbiError
from osm_locus.lab.faults import Faults
from osm_locus.lab.infra import Infrastructure
from osm_locus.lab.lifecycle import Lifecycle, PrimitiveRunner
from osm_locus.lab.metrics import LabCollector
from osm_locus.lab.netslice import Netslices
from osm_locus.lab.nfvi import Nfvi
from osm_locus.lab.state import LabState, Session
from placement.model import Lab

PREFIX = "/osm"


def render(
    request: Request, payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON when the client accepts it, YAML otherwise (OSM's NBI default)."""
    if payload is None:
        return Response(status_code=status, headers=headers)
    if "application/json" in request.headers.get("accept", ""):
        return Response(json.dumps(payload), status, headers, media_type="application/json")
    return Response(
        yaml.safe_dump(payload, default_flow_style=False),
        status,
        headers,
        media_type="application/yaml",
    )


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header."""
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    return token.strip() if kind.lower() == "bearer" and token.strip() else None


async def body_of(request: Request) -> Any:
    """A JSON or YAML request body as data (empty body: {})."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        if "json" in request.headers.get("content-type", ""):
            return json.loads(raw)
        return yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise NbiError(400, f"invalid request body: {exc}") from None


def create_app(
    lab: Lab | None = None,
    state: LabState | None = None,
    delay: float = 0.0,
    runner: PrimitiveRunner | None = None,
) -> FastAPI:
    """The lab application.

    ``lab`` seeds VIM accounts and K8s clusters into project admin and sizes the simulated NFVI;
    ``state`` may come from a state file (:meth:`LabState.open`); ``delay`` is how long each LCM
    operation takes (seconds); ``runner`` executes Day-1/Day-2 primitives.
    """
    state = state or LabState()
    catalogue = Catalogue(state)
    infra = Infrastructure(state)
    nfvi = Nfvi.from_lab(lab)
    lifecycle = Lifecycle(state, nfvi, delay, runner)
    lifecycle.recover()
    if lab is not None:
        infra.load_lab(lab)
    state.commit()
    app = FastAPI(
        title="osm-locus embedded OSM lab", openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.lab = state

    @app.exception_handler(NbiError)
    async def _nbi_error(request: Request, exc: NbiError) -> Response:
        return render(request, exc.body(), exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = "Unexpected URL" if exc.status_code == 404 else str(exc.detail)
        return render(request, NbiError(exc.status_code, detail).body(), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return render(request, NbiError(422, f"invalid input: {exc.errors()}").body(), 422)

    @app.middleware("http")
    async def _persist(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.method != "GET":
            state.commit()
        return response

    def session_of(request: Request) -> Session:
        return state.session(bearer(request))

    registry = CollectorRegistry(auto_describe=True)
    registry.register(LabCollector(state))

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    _fault_routes(app, Faults(state, nfvi), session_of)

    _auth_routes(app, state, session_of)
    _infra_routes(app, state, infra, session_of)
    for kind in KINDS.values():
        _catalogue_routes(app, state, catalogue, kind, session_of)
    _ns_routes(app, state, lifecycle, Day2(lifecycle), session_of)
    _nsi_routes(app, state, Netslices(state, lifecycle), session_of)
    app.state.lifecycle = lifecycle
    return app


SessionOf = Callable[[Request], Session]


def _auth_routes(app: FastAPI, state: LabState, session_of: SessionOf) -> None:
    @app.post(PREFIX + "/admin/v1/tokens")
    async def new_token(request: Request) -> Response:
        data = await body_of(request)
        session = state.login(
            str(data.get("username", "")), str(data.get("password", "")), data.get("project_id")
        )
        return render(request, session.record())

    @app.get(PREFIX + "/admin/v1/tokens/{token}")
    async def get_token(request: Request, token: str) -> Response:
        session_of(request)
        return render(request, state.session(token).record())

    @app.delete(PREFIX + "/admin/v1/tokens")
    async def delete_own_token(request: Request) -> Response:
        session = session_of(request)
        state.sessions.pop(session.token, None)
        return render(request, None, 204)

    @app.delete(PREFIX + "/admin/v1/tokens/{token}")
    async def delete_token(request: Request, token: str) -> Response:
        session_of(request)
        state.sessions.pop(token, None)
        return render(request, None, 204)

    @app.post(PREFIX + "/admin/v1/projects")
    async def new_project(request: Request) -> Response:
        _require_admin(session_of(request))
        data = await body_of(request)
        record = state.add_project(str(data.get("name", "")))
        return render(request, {"id": record["_id"]}, 201)

    @app.get(PREFIX + "/admin/v1/projects")
    async def list_projects(request: Request) -> Response:
        session_of(request)
        return render(request, list(state.projects.values()))

    @app.post(PREFIX + "/admin/v1/users")
    async def new_user(request: Request) -> Response:
        _require_admin(session_of(request))
        data = await body_of(request)
        projects = [m.get("project") for m in data.get("project_role_mappings", [])]
        user = state.add_user(
            str(data.get("username", "")),
            str(data.get("password", "")),
            [p for p in projects if p] or [],
        )
        return render(request, {"id": user["_id"]}, 201)


def _require_admin(session: Session) -> None:
    if not session.admin:
        raise NbiError(401, "operation not allowed for this user")


def _infra_routes(
    app: FastAPI, state: LabState, infra: Infrastructure, session_of: SessionOf
) -> None:
    for collection, path in (("vim_accounts", "vim_accounts"), ("k8sclusters", "k8sclusters")):
        _infra_collection(app, state, infra, collection, path, session_of)


def _infra_collection(
    app: FastAPI,
    state: LabState,
    infra: Infrastructure,
    collection: str,
    path: str,
    session_of: SessionOf,
) -> None:
    base = f"{PREFIX}/admin/v1/{path}"

    @app.get(base, name=f"list_{collection}")
    async def listing(request: Request) -> Response:
        session = session_of(request)
        return render(request, [infra.public(r) for r in state.visible(collection, session)])

    @app.post(base, name=f"new_{collection}")
    async def create(request: Request) -> Response:
        session = session_of(request)
        record = infra.create(collection, await body_of(request), session)
        return render(
            request, {"id": record["_id"], "op_id": record["_admin"]["current_operation"]}, 202
        )

    @app.get(base + "/{ref}", name=f"get_{collection}")
    async def show(request: Request, ref: str) -> Response:
        session = session_of(request)
        return render(request, infra.public(state.get(collection, ref, session)))

    @app.delete(base + "/{ref}", name=f"delete_{collection}")
    async def remove(request: Request, ref: str) -> Response:
        session = session_of(request)
        infra.delete(collection, ref, session)
        return render(request, None, 202)


def _catalogue_routes(
    app: FastAPI, state: LabState, catalogue: Catalogue, kind: Kind, session_of: SessionOf
) -> None:
    api, resource, content = kind.links
    base = PREFIX + api
    filename_of = _filename

    @app.post(f"{base}/{resource}_content", name=f"content_{kind.collection}")
    async def onboard(request: Request) -> Response:
        session = session_of(request)
        body = await request.body()
        # validation is CPU work: off the event loop, so other clients' calls keep flowing
        record_id = await run_in_threadpool(
            catalogue.upload, kind, session, body, filename_of(request)
        )
        location = f"{api}/{resource}_content/{record_id}"
        return render(request, {"id": record_id}, 201, {"Location": location})

    @app.get(f"{base}/{resource}/{{ref}}/{content}", name=f"download_{kind.collection}")
    async def download(request: Request, ref: str) -> Response:
        record = state.get(kind.collection, ref, session_of(request))
        blob = state.blobs.get(record["_id"])
        if blob is None:
            raise NbiError(404, f"{kind.descriptor} '{ref}' has no content yet")
        ctype = "application/gzip" if blob[:2] == b"\x1f\x8b" else "text/plain"
        return Response(blob, 200, media_type=ctype)

    @app.post(f"{base}/{resource}", name=f"create_{kind.collection}")
    async def create(request: Request) -> Response:
        session = session_of(request)
        data = await body_of(request)
        record_id = catalogue.create_empty(kind, session, data.get("userDefinedData", data))
        return render(
            request, {"id": record_id}, 201, {"Location": f"{api}/{resource}/{record_id}"}
        )

    # a new revision (…_content/{id}) and the SOL005 second step (…/{id}/package_content) alike
    @app.put(f"{base}/{resource}_content/{{ref}}", name=f"revise_{kind.collection}")
    @app.put(f"{base}/{resource}/{{ref}}/{content}", name=f"upload_{kind.collection}")
    async def upload(request: Request, ref: str) -> Response:
        session = session_of(request)
        record = state.get(kind.collection, ref, session)
        body = await request.body()
        await run_in_threadpool(
            catalogue.upload, kind, session, body, filename_of(request), record["_id"]
        )
        return render(request, None, 204)

    for path in (f"{base}/{resource}", f"{base}/{resource}_content"):
        _reads(
            app,
            state,
            kind.collection,
            path,
            session_of,
            delete=lambda session, ref: catalogue.delete(kind, session, ref),
        )


def _filename(request: Request) -> str:
    name = request.headers.get("content-filename")
    if name:
        return name
    ctype = request.headers.get("content-type", "")
    return "package.tar.gz" if "gzip" in ctype or "zip" in ctype else "descriptor.yaml"


def _filtered(request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for key, value in request.query_params.items():
        records = [r for r in records if str(r.get(key, "")) == value]
    return records


def _fault_routes(app: FastAPI, faults: Faults, session_of: SessionOf) -> None:
    base = "/lab/v1"

    def admin(request: Request) -> Session:
        session = session_of(request)
        _require_admin(session)
        return session

    @app.put(base + "/sites/{name}")
    async def site(request: Request, name: str) -> Response:
        data = await body_of(request)
        up = data.get("up") if isinstance(data, dict) else None
        if not isinstance(up, bool):
            raise NbiError(422, "Format error at 'up': a boolean is required")
        return render(request, faults.set_site(admin(request), name, up))

    @app.post(base + "/vnf_instances/{ref}/fail")
    async def fail(request: Request, ref: str) -> Response:
        return render(request, faults.fail_vdu(admin(request), ref, await body_of(request)))

    @app.put(base + "/vnf_instances/{ref}/load")
    async def load(request: Request, ref: str) -> Response:
        return render(request, faults.set_load(admin(request), ref, await body_of(request)))


def _ns_routes(
    app: FastAPI, state: LabState, lifecycle: Lifecycle, day2: Day2, session_of: SessionOf
) -> None:
    base = PREFIX + "/nslcm/v1"

    for verb, handler in (("scale", day2.scale), ("heal", day2.heal), ("update", day2.update)):
        _ns_operation(app, base, verb, handler, session_of)

    _instance_routes(
        app,
        base,
        "ns_instances",
        "nslcmop_id",
        lifecycle.create_ns,
        lifecycle.terminate,
        session_of,
    )

    @app.post(base + "/ns_instances/{ref}/action")
    async def action(request: Request, ref: str) -> Response:
        op = lifecycle.action(session_of(request), ref, await body_of(request))
        return render(request, {"id": op}, 202)

    for path in ("ns_instances", "ns_instances_content"):
        _reads(
            app, state, "nsrs", f"{base}/{path}", session_of, lifecycle.public, lifecycle.delete_ns
        )

    _reads(app, state, "nslcmops", f"{base}/ns_lcm_op_occs", session_of)
    for path in ("vnf_instances", "vnfrs"):
        _reads(app, state, "vnfrs", f"{base}/{path}", session_of, lifecycle.public)


def _instance_routes(
    app: FastAPI,
    base: str,
    resource: str,
    op_key: str,
    create: Callable[[Session, Any], tuple[str, str]],
    terminate: Callable[[Session, str], str],
    session_of: SessionOf,
) -> None:
    """POST …_content (create + instantiate) and POST …/{id}/terminate of NS or netslices."""
    api = base.removeprefix(PREFIX)

    @app.post(f"{base}/{resource}_content", name=f"create_{resource}")
    async def create_instance(request: Request) -> Response:
        ident, op_id = create(session_of(request), await body_of(request))
        return render(
            request,
            {"id": ident, op_key: op_id},
            201,
            {"Location": f"{api}/{resource}_content/{ident}"},
        )

    @app.post(f"{base}/{resource}/{{ref}}/terminate", name=f"terminate_{resource}")
    async def terminate_instance(request: Request, ref: str) -> Response:
        return render(request, {"id": terminate(session_of(request), ref)}, 202)


def _ns_operation(
    app: FastAPI,
    base: str,
    verb: str,
    handler: Callable[[Session, str, Any], str],
    session_of: SessionOf,
) -> None:
    @app.post(base + f"/ns_instances/{{ref}}/{verb}", name=f"ns_{verb}")
    async def operate(request: Request, ref: str) -> Response:
        op = handler(session_of(request), ref, await body_of(request))
        return render(request, {"id": op}, 202)


def _nsi_routes(
    app: FastAPI, state: LabState, netslices: Netslices, session_of: SessionOf
) -> None:
    base = PREFIX + "/nsilcm/v1"

    _instance_routes(
        app,
        base,
        "netslice_instances",
        "nsilcmop_id",
        netslices.create,
        netslices.terminate,
        session_of,
    )

    for path in ("netslice_instances", "netslice_instances_content"):
        _reads(app, state, "nsis", f"{base}/{path}", session_of, delete=netslices.delete)
    _reads(app, state, "nsilcmops", f"{base}/nsi_lcm_op_occs", session_of)


def _reads(
    app: FastAPI,
    state: LabState,
    collection: str,
    path: str,
    session_of: SessionOf,
    public: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    delete: Callable[[Session, str], None] | None = None,
) -> None:
    """GET list (with ``?field=value`` filters), GET one and optionally DELETE on ``path``."""
    suffix = path.rsplit("/", 1)[1]
    show_record = public or (lambda record: record)

    @app.get(path, name=f"list_{suffix}")
    async def listing(request: Request) -> Response:
        records = _filtered(request, state.visible(collection, session_of(request)))
        return render(request, [show_record(state.snapshot(r)) for r in records])

    @app.get(path + "/{ref}", name=f"get_{suffix}")
    async def show(request: Request, ref: str) -> Response:
        record = state.get(collection, ref, session_of(request))
        return render(request, show_record(state.snapshot(record)))

    if delete is not None:
        remover = delete

        @app.delete(path + "/{ref}", name=f"delete_{suffix}")
        async def remove(request: Request, ref: str) -> Response:
            remover(session_of(request), ref)
            return render(request, None, 204)
