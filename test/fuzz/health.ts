/** GET /healthz answers 200 and a plain create-then-read of a user works. */
export async function stillHealthy(url: string, slug: string, token: string): Promise<boolean> {
  const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) });
  if (health.status !== 200) return false;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/scim+json" };
  const userName = `healthy-${Date.now()}@example.com`;
  const created = await fetch(`${url}/scim/v2/${slug}/Users`, {
    method: "POST",
    headers,
    body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName }),
  });
  if (created.status !== 201) return false;
  const { id } = (await created.json()) as { id: string };
  const read = await fetch(`${url}/scim/v2/${slug}/Users/${id}`, { headers });
  return read.status === 200 && ((await read.json()) as { userName?: string }).userName === userName;
}
