/**
 * How AUTH and API_KEYS_FILE combine (for config.ts):
 *
 *   API_KEYS_FILE set, AUTH unset or "on"  → "keys" (auth on)
 *   API_KEYS_FILE unset, AUTH unset/"off"  → "off"  (single tenant, local use; logged loudly)
 *   AUTH=on without API_KEYS_FILE          → error (no keys to check against)
 *   AUTH=off with API_KEYS_FILE            → error (ambiguous: say which one you mean)
 */
export function authModeFrom(env: { AUTH?: string | undefined; API_KEYS_FILE?: string | undefined }): "off" | "keys" {
  const auth = env.AUTH?.trim().toLowerCase() || undefined;
  const file = env.API_KEYS_FILE?.trim() || undefined;
  if (auth !== undefined && auth !== "on" && auth !== "off") {
    throw new Error(`AUTH must be "on" or "off", got "${env.AUTH}"`);
  }
  if (file) {
    if (auth === "off") {
      throw new Error("AUTH=off contradicts API_KEYS_FILE (which turns auth on); unset one of them");
    }
    return "keys";
  }
  if (auth === "on")
    throw new Error("AUTH=on needs API_KEYS_FILE, the file of API key hashes (npm run keys -- create)");
  return "off";
}
