/** Every API endpoint lives under this prefix. */
export const API_PREFIX = "/api/v1/ai_logs";
export const OPENAPI_PATH = "/api/v1/openapi.json";
export const REFERENCE_PATH = "/api/v1/reference";
