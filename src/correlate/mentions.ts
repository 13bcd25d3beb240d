/**
 * Which services a line names as its callee (pure): known names in callee fields (`upstream`, `peer.service`, …)
 * or, as whole words, in the message. Shared by /query's likely origin and the correlation graph.
 */

/** Fields whose value names the service a line's service called. */
export const CALLEE_FIELDS = [
  "upstream",
  "downstream",
  "callee",
  "target",
  "peer_service",
  "peer.service",
  "dependency",
  "remote_service",
  "backend",
];

/** Services a line names as a callee: known names in callee fields or, as whole words, in the message. */
export function findMentions(
  self: string,
  message: string,
  fields: Record<string, unknown>,
  known: string[],
): string[] {
  const out = new Set(calleeFieldMentions(self, fields, known));
  for (const name of messageMentions(self, message, known)) out.add(name);
  return [...out];
}

/** Known services named in the line's callee fields (the last path segment of the value), self excluded. */
export function calleeFieldMentions(self: string, fields: Record<string, unknown>, known: string[]): string[] {
  const out: string[] = [];
  for (const key of CALLEE_FIELDS) {
    const v = fields[key];
    if (typeof v === "string") {
      const short = v.slice(v.lastIndexOf("/") + 1);
      if (known.includes(short) && short !== self && !out.includes(short)) out.push(short);
    }
  }
  return out;
}

/** Known services a message names as whole words (case-insensitive), self and names in a caller position excluded. */
export function messageMentions(self: string, message: string, known: string[]): string[] {
  const out: string[] = [];
  // `caller=gateway`, `from=edge`: a name in a caller position is not a callee.
  const lower = message.toLowerCase().replace(CALLER_CONTEXT, " ");
  for (const name of known) {
    if (name === self || name.length < 2) continue;
    const n = name.toLowerCase();
    let from = 0;
    for (let i = lower.indexOf(n, from); i !== -1; i = lower.indexOf(n, from)) {
      const before = lower[i - 1];
      const after = lower[i + n.length];
      if (!isNameChar(before) && !isNameChar(after)) {
        out.push(name);
        break;
      }
      from = i + 1;
    }
  }
  return out;
}

const CALLER_CONTEXT =
  /\b(caller|calling_service|from|source|src|client|parent|parent_service|origin|requester|remote_caller|called_by|invoked_by)\s*[=:]\s*"?[\w./-]+"?/g;

const isNameChar = (ch: string | undefined) => ch !== undefined && /[a-z0-9_-]/.test(ch);
