/** Every API endpoint lives under this prefix. */
export const API_PREFIX = "/api/v1/ai_logs";
export const OPENAPI_PATH = "/api/v1/openapi.json";
export const REFERENCE_PATH = "/api/v1/reference";
/** GET /export/{token}: a signed export link, its own credential (a key is optional there). */
export const EXPORT_LINK_PATH = /^\/api\/v1\/ai_logs\/export\/(?!link$)[A-Za-z0-9_.-]+$/;
