/** Renders one log event in a service's own line format. */
export type LineFormat = "json" | "logfmt" | "text";

export interface LogEvent {
  ts: number; // ms since epoch
  level: "debug" | "info" | "warn" | "error" | "fatal";
  msg: string;
  fields: Record<string, string | number | boolean>;
}

export function render(format: LineFormat, e: LogEvent): string {
  switch (format) {
    case "json":
      return JSON.stringify({ ts: new Date(e.ts).toISOString(), level: e.level, msg: e.msg, ...e.fields });
    case "logfmt":
      return [
        `ts=${new Date(e.ts).toISOString()}`,
        `level=${e.level}`,
        `msg=${logfmtValue(e.msg)}`,
        ...Object.entries(e.fields).map(([k, v]) => `${k}=${logfmtValue(String(v))}`),
      ].join(" ");
    case "text": {
      const extras = Object.entries(e.fields)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      return `${new Date(e.ts).toISOString()} ${e.level.toUpperCase()} ${e.msg}${extras ? ` ${extras}` : ""}`;
    }
  }
}

function logfmtValue(v: string): string {
  return /[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v;
}
