// The typed client a frontend would use: openapi-fetch over the types openapi-typescript
// generates from ../openapi.yaml (src/schema.d.ts, made by `npm run generate`).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type ChannelDraft = Schemas["ChannelDraft"];
export type Problem = Schemas["Problem"];
export type Message = Schemas["MessageOut"];

/** A client of the service at `baseUrl`, calling with `token`. */
export function xchannel(baseUrl: string, token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}
export type Event = Schemas["EventOut"];
