"""The part of Keycloak's admin REST API the platform uses, served by the development issuer
over its directory (`dev_directory.Directory`), so python-keycloak administers the embedded
mode exactly as it administers Keycloak.

Paths, bodies, status codes and the `Location` header of creations follow Keycloak 26:
organizations (create, find, read, update, delete, members), users (create, find, read,
update, delete, reset-password, execute-actions-email), groups (create, by path, children,
delete, members, client role mappings), a user's groups, the resource server's client and its
roles, and client role mappings of a user (direct and effective). Callers authenticate with a token of the admin
client (client credentials), which carries `realm-management` roles as Keycloak's service
accounts do; anything else is 401/403 as in Keycloak.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from alac_kernel.auth.dev_directory import Directory, DirectoryConflict, DirectoryNotFound

#: A route of the admin API: the request and the path parameters by name.
Handler = Callable[..., Awaitable[Response]]

ADMIN_ROLES = ("manage-users", "view-users", "manage-realm", "view-realm", "manage-clients")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errorMessage": message}, status_code=status)


def install_admin_api(app: FastAPI, dev: Any, directory: Directory) -> None:
    """Routes under `/admin/realms/<realm>` of the issuer `dev` (a DevIssuer)."""
    router = APIRouter(prefix=f"/admin/realms/{dev.realm}")

    def authorized(request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return JSONResponse({"error": "HTTP 401 Unauthorized"}, status_code=401)
        try:
            claims = jwt.decode(
                header[7:],
                dev.signing_key.private_key.public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False},
                issuer=dev.issuer,
            )
        except jwt.PyJWTError:
            return JSONResponse({"error": "HTTP 401 Unauthorized"}, status_code=401)
        roles = claims.get("resource_access", {}).get("realm-management", {}).get("roles", [])
        if "manage-users" not in roles:
            return JSONResponse({"error": "HTTP 403 Forbidden"}, status_code=403)
        return None

    async def body(request: Request) -> Any:
        raw = await request.body()
        return await request.json() if raw else None

    def created(request: Request, new_id: str) -> Response:
        base = str(request.url.replace(query="")).rstrip("/")
        return Response(status_code=201, headers={"Location": f"{base}/{new_id}"})

    def guarded(handler: Handler) -> Handler:
        async def run(request: Request, **kwargs: Any) -> Response:
            refused = authorized(request)
            if refused is not None:
                return refused
            try:
                return await handler(request, **kwargs)
            except DirectoryConflict as exc:
                return _error(409, str(exc))
            except DirectoryNotFound as exc:
                return _error(404, str(exc))
            except (ValueError, TypeError, KeyError) as exc:
                return _error(400, str(exc))

        run.__name__ = handler.__name__
        return run

    def q(request: Request, name: str) -> str | None:
        return request.query_params.get(name)

    def exact(request: Request) -> bool:
        return (q(request, "exact") or "").lower() == "true"

    def page(request: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        first = int(q(request, "first") or 0)
        size = int(q(request, "max") or 100)
        return items[first : first + size]

    # ---------------------------------------------------------------- organizations

    @guarded
    async def list_orgs(request: Request) -> Response:
        found = directory.find_organizations(
            q(request, "search") or q(request, "q"), exact(request)
        )
        return JSONResponse(page(request, found))

    @guarded
    async def create_org(request: Request) -> Response:
        new_id = directory.create_organization(await body(request) or {})
        return created(request, new_id)

    @guarded
    async def get_org(request: Request, org_id: str) -> Response:
        return JSONResponse(directory.organization(org_id))

    @guarded
    async def put_org(request: Request, org_id: str) -> Response:
        directory.update_organization(org_id, await body(request) or {})
        return Response(status_code=204)

    @guarded
    async def delete_org(request: Request, org_id: str) -> Response:
        directory.delete_organization(org_id)
        return Response(status_code=204)

    @guarded
    async def add_member(request: Request, org_id: str) -> Response:
        # Keycloak takes the bare user id (python-keycloak sends it unquoted) or a JSON string.
        user_id = (await request.body()).decode("utf-8", "replace").strip().strip('"')
        if not user_id:
            raise ValueError("the body is the user id")
        directory.add_member(org_id, user_id)
        return Response(status_code=201)

    @guarded
    async def list_members(request: Request, org_id: str) -> Response:
        return JSONResponse(page(request, directory.members(org_id)))

    @guarded
    async def orgs_of_member(request: Request, user_id: str) -> Response:
        user = directory.users.get(user_id)
        if user is None:
            raise DirectoryNotFound("User not found")
        return JSONResponse([directory.organization(o) for o in user["organizations"]])

    # ---------------------------------------------------------------- users

    @guarded
    async def list_users(request: Request) -> Response:
        found = directory.find_users(
            username=q(request, "username"),
            email=q(request, "email"),
            search=q(request, "search"),
            exact=exact(request),
        )
        return JSONResponse(page(request, found))

    @guarded
    async def count_users(request: Request) -> Response:
        return JSONResponse(len(directory.users))

    @guarded
    async def create_user(request: Request) -> Response:
        new_id = directory.create_user(await body(request) or {})
        return created(request, new_id)

    @guarded
    async def get_user(request: Request, user_id: str) -> Response:
        return JSONResponse(directory.user_rep(user_id))

    @guarded
    async def put_user(request: Request, user_id: str) -> Response:
        directory.update_user(user_id, await body(request) or {})
        return Response(status_code=204)

    @guarded
    async def delete_user(request: Request, user_id: str) -> Response:
        directory.delete_user(user_id)
        return Response(status_code=204)

    @guarded
    async def reset_password(request: Request, user_id: str) -> Response:
        rep = await body(request) or {}
        directory.set_password(user_id, rep["value"], bool(rep.get("temporary", True)))
        return Response(status_code=204)

    @guarded
    async def execute_actions(request: Request, user_id: str) -> Response:
        actions = await body(request) or []
        directory.execute_actions(user_id, list(actions))
        return Response(status_code=204)

    # ---------------------------------------------------------------- clients and roles

    def role_rep(name: str) -> dict[str, Any]:
        return {
            "id": directory.roles[name],
            "name": name,
            "composite": False,
            "clientRole": True,
            "containerId": directory.client_uuid,
        }

    @guarded
    async def list_clients(request: Request) -> Response:
        wanted = q(request, "clientId")
        clients = [{"id": directory.client_uuid, "clientId": directory.client_id}]
        return JSONResponse([c for c in clients if wanted in (None, c["clientId"])])

    def check_client(client_uuid: str) -> None:
        if client_uuid != directory.client_uuid:
            raise DirectoryNotFound("Could not find client")

    @guarded
    async def client_roles(request: Request, client_uuid: str) -> Response:
        check_client(client_uuid)
        return JSONResponse([role_rep(n) for n in directory.roles])

    @guarded
    async def client_role(request: Request, client_uuid: str, role: str) -> Response:
        check_client(client_uuid)
        if role not in directory.roles:
            raise DirectoryNotFound("Could not find role")
        return JSONResponse(role_rep(role))

    @guarded
    async def user_client_roles(request: Request, user_id: str, client_uuid: str) -> Response:
        check_client(client_uuid)
        return JSONResponse([role_rep(n) for n in directory.client_roles_of(user_id)])

    @guarded
    async def grant_client_roles(request: Request, user_id: str, client_uuid: str) -> Response:
        check_client(client_uuid)
        roles = await body(request) or []
        directory.grant_roles(user_id, [r["name"] for r in roles], grant=True)
        return Response(status_code=204)

    @guarded
    async def revoke_client_roles(request: Request, user_id: str, client_uuid: str) -> Response:
        check_client(client_uuid)
        roles = await body(request) or []
        directory.grant_roles(user_id, [r["name"] for r in roles], grant=False)
        return Response(status_code=204)

    @guarded
    async def user_effective_roles(request: Request, user_id: str, client_uuid: str) -> Response:
        check_client(client_uuid)
        user = directory.users.get(user_id)
        if user is None:
            raise DirectoryNotFound("User not found")
        return JSONResponse([role_rep(n) for n in directory.effective_roles(user)])

    # ---------------------------------------------------------------- groups

    @guarded
    async def list_groups(request: Request) -> Response:
        return JSONResponse(page(request, directory.child_groups(None)))

    @guarded
    async def create_group(request: Request) -> Response:
        new_id = directory.create_group(await body(request) or {})
        return created(request, new_id)

    @guarded
    async def get_group(request: Request, group_id: str) -> Response:
        return JSONResponse(directory.group_rep(group_id))

    @guarded
    async def delete_group(request: Request, group_id: str) -> Response:
        directory.delete_group(group_id)
        return Response(status_code=204)

    @guarded
    async def group_children(request: Request, group_id: str) -> Response:
        return JSONResponse(page(request, directory.child_groups(group_id)))

    @guarded
    async def create_child_group(request: Request, group_id: str) -> Response:
        new_id = directory.create_group(await body(request) or {}, parent_id=group_id)
        # Keycloak's Location names the new group under /groups, not under /children.
        base = str(request.url.replace(query="")).rstrip("/").rsplit("/", 2)[0]
        return Response(status_code=201, headers={"Location": f"{base}/{new_id}"})

    @guarded
    async def group_by_path(request: Request, path: str) -> Response:
        return JSONResponse(directory.group_by_path(path))

    @guarded
    async def group_members(request: Request, group_id: str) -> Response:
        return JSONResponse(page(request, directory.group_members(group_id)))

    @guarded
    async def group_client_roles(request: Request, group_id: str, client_uuid: str) -> Response:
        check_client(client_uuid)
        names = directory.group_rep(group_id)["clientRoles"][directory.client_id]
        return JSONResponse([role_rep(n) for n in names])

    @guarded
    async def grant_group_roles(request: Request, group_id: str, client_uuid: str) -> Response:
        check_client(client_uuid)
        roles = await body(request) or []
        directory.grant_group_roles(group_id, [r["name"] for r in roles])
        return Response(status_code=204)

    @guarded
    async def user_groups(request: Request, user_id: str) -> Response:
        return JSONResponse(page(request, directory.groups_of(user_id)))

    @guarded
    async def join_group(request: Request, user_id: str, group_id: str) -> Response:
        directory.join_group(user_id, group_id, join=True)
        return Response(status_code=204)

    @guarded
    async def leave_group(request: Request, user_id: str, group_id: str) -> Response:
        directory.join_group(user_id, group_id, join=False)
        return Response(status_code=204)

    groups = "/groups/{group_id}"
    group_roles = groups + "/role-mappings/clients/{client_uuid}"
    routes = [
        ("/organizations", ["GET"], list_orgs),
        ("/organizations", ["POST"], create_org),
        ("/organizations/members/{user_id}/organizations", ["GET"], orgs_of_member),
        ("/organizations/{org_id}", ["GET"], get_org),
        ("/organizations/{org_id}", ["PUT"], put_org),
        ("/organizations/{org_id}", ["DELETE"], delete_org),
        ("/organizations/{org_id}/members", ["POST"], add_member),
        ("/organizations/{org_id}/members", ["GET"], list_members),
        ("/users", ["GET"], list_users),
        ("/users/count", ["GET"], count_users),
        ("/users", ["POST"], create_user),
        ("/users/{user_id}", ["GET"], get_user),
        ("/users/{user_id}", ["PUT"], put_user),
        ("/users/{user_id}", ["DELETE"], delete_user),
        ("/users/{user_id}/reset-password", ["PUT"], reset_password),
        ("/users/{user_id}/execute-actions-email", ["PUT"], execute_actions),
        ("/clients", ["GET"], list_clients),
        ("/clients/{client_uuid}/roles", ["GET"], client_roles),
        ("/clients/{client_uuid}/roles/{role}", ["GET"], client_role),
        ("/users/{user_id}/role-mappings/clients/{client_uuid}", ["GET"], user_client_roles),
        ("/users/{user_id}/role-mappings/clients/{client_uuid}", ["POST"], grant_client_roles),
        ("/users/{user_id}/role-mappings/clients/{client_uuid}", ["DELETE"], revoke_client_roles),
        ("/users/{user_id}/role-mappings/clients/{client_uuid}/composite", ["GET"],
         user_effective_roles),
        ("/users/{user_id}/groups", ["GET"], user_groups),
        ("/users/{user_id}/groups/{group_id}", ["PUT"], join_group),
        ("/users/{user_id}/groups/{group_id}", ["DELETE"], leave_group),
        ("/groups", ["GET"], list_groups),
        ("/groups", ["POST"], create_group),
        ("/group-by-path/{path:path}", ["GET"], group_by_path),
        (groups, ["GET"], get_group),
        (groups, ["DELETE"], delete_group),
        (groups + "/children", ["GET"], group_children),
        (groups + "/children", ["POST"], create_child_group),
        (groups + "/members", ["GET"], group_members),
        (group_roles, ["GET"], group_client_roles),
        (group_roles, ["POST"], grant_group_roles),
    ]  # fmt: skip
    for path, methods, handler in routes:
        router.add_api_route(path, _endpoint(handler), methods=methods, include_in_schema=False)
    app.include_router(router)


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """FastAPI passes path parameters by name; the handlers take them as keyword arguments."""

    async def endpoint(request: Request) -> Response:
        return await handler(request, **request.path_params)

    endpoint.__name__ = handler.__name__
    return endpoint
