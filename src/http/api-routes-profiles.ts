import { checkAppProfile, getAppProfile, profileAsJson, type ProfileInput, putAppProfile } from "../directory/app-profile.js";
import { PROFILE_OPTIONS } from "../directory/profile-yaml.js";
import type { ApiRoute } from "./api-routes.js";
import { prefersYaml, YamlBody } from "./yaml-body.js";

const T = "/tenants/:tenant";

function inputOf(body: unknown): ProfileInput {
  return body instanceof YamlBody ? { format: "yaml", text: body.text } : { format: "json", value: body };
}

/** A tenant's profile (docs/profiles.md): read and replaced as YAML or JSON, and checked for its impact before it is. */
export const PROFILE_ROUTES: readonly ApiRoute[] = [
  {
    method: "GET",
    url: `${T}/profile`,
    query: [],
    body: "none",
    handle: async (c, _p, r) => {
      const stored = await getAppProfile(c);
      if (prefersYaml(r.headers.accept)) return { status: 200, body: stored.source ?? "", contentType: "application/yaml; charset=utf-8" };
      return { status: 200, body: { version: stored.version, profile: profileAsJson(stored.source) } };
    },
  },
  {
    method: "PUT",
    url: `${T}/profile`,
    query: [],
    body: PROFILE_OPTIONS,
    yaml: true,
    handle: (c, _p, r) => putAppProfile(c, inputOf(r.body)).then((body) => ({ status: 200, body })),
  },
  {
    method: "POST",
    url: `${T}/profile/check`,
    query: [],
    body: PROFILE_OPTIONS,
    yaml: true,
    handle: (c, _p, r) => checkAppProfile(c, inputOf(r.body)).then((body) => ({ status: 200, body })),
  },
];
