export { DEFAULT_CHEAP_BUDGET, DEFAULT_HEAVY_BUDGET, parseBudget } from "./budget.ts";
export { classifyByPath, HEAVY_ENDPOINTS, keyOfAuth, type RateClass, UNLIMITED_ENDPOINTS } from "./classify.ts";
export { type Budget, type RateLimitOptions, rateLimit } from "./middleware.ts";
