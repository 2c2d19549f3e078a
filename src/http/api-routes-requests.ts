import { getRequest, getTenantStatus, listRequests, REQUEST_QUERY } from "../directory/request-log.js";
import type { ApiRoute } from "./api-routes.js";

const T = "/tenants/:tenant";

/** The request log and status routes of the management API (docs/management-api.md, "Request log" and "Status"). */
export const REQUEST_LOG_ROUTES: readonly ApiRoute[] = [
  {
    method: "GET",
    url: `${T}/requests`,
    query: REQUEST_QUERY,
    body: "none",
    handle: async (c, _p, r) => ({ status: 200, body: await listRequests(c, r.query) }),
  },
  {
    method: "GET",
    url: `${T}/requests/:requestId`,
    query: [],
    body: "none",
    handle: async (c, p) => ({ status: 200, body: await getRequest(c, p["requestId"] ?? "") }),
  },
  { method: "GET", url: `${T}/status`, query: [], body: "none", handle: async (c) => ({ status: 200, body: await getTenantStatus(c) }) },
];
