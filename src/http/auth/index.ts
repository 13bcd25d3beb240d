export {
  constantTimeEqual,
  generateKey,
  generateKeyId,
  hasScope,
  KEY_PREFIX,
  type KeyEntry,
  KeyIndex,
  keyEntrySchema,
  parseKeysFile,
  sha256Hex,
} from "./keys.ts";
export { appendKeyEntry, readKeysFile, removeKeyEntry } from "./keys-file.ts";
export {
  type Auth,
  type AuthOptions,
  createAuth,
  forbidden,
  presentedKey,
  type TokenCaller,
  type TokenPaths,
  unauthorized,
} from "./middleware.ts";
export { authModeFrom } from "./mode.ts";
export { KeyStore, type KeyStoreOptions } from "./store.ts";
export { type AuthInfo, SCOPES, type Scope, TENANT_PATTERN } from "./types.ts";
