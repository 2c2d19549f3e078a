import type { FastifyInstance } from "fastify";

/** The media types of a YAML body (RFC 9512 registers application/yaml; text/yaml is what many tools still send). */
export const YAML_MEDIA_TYPES = ["application/yaml", "text/yaml"] as const;

/**
 * A body sent as YAML text: kept as text for the one route kind that takes it (ApiRoute.yaml),
 * which parses it itself; any other route answers it 415 (checkRequestShape).
 */
export class YamlBody {
  constructor(readonly text: string) {}
}

/**
 * Reads YAML bodies as text in this scope, under the server's body limit like JSON. The text is
 * decoded UTF-8, so it holds no lone surrogate; a NUL in it is refused by the profile parser.
 */
export function addYamlBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser([...YAML_MEDIA_TYPES], { parseAs: "string" }, (_request, body, done) => {
    done(null, new YamlBody(typeof body === "string" ? body : body.toString("utf8")));
  });
}

/**
 * Whether `accept` asks for YAML before JSON: the media types it lists, by quality (RFC 9110
 * §12.5.1), the first of YAML or JSON (or any) wins; JSON when it names neither.
 */
export function prefersYaml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const ranges = accept
    .split(",")
    .slice(0, 32)
    .map((part, index) => {
      const [type = "", ...parameters] = part.split(";").map((piece) => piece.trim().toLowerCase());
      const q = parameters.find((parameter) => parameter.startsWith("q="));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { type, quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((range) => range.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  const first = ranges.find((range) => (YAML_MEDIA_TYPES as readonly string[]).includes(range.type) || ["application/json", "application/*", "*/*"].includes(range.type));
  return first !== undefined && (YAML_MEDIA_TYPES as readonly string[]).includes(first.type);
}
