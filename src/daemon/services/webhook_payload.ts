// What one webhook delivery looks like on the wire (PROTOCOL-BRIEF §9.5): the JSON body with its fixed key order,
// the headers, the HMAC signature over the exact body bytes, and which answers are worth a retry.
import { hmacSha256 } from "../../crypto/hash.ts";
import { toHex, utf8 } from "../../util/bytes.ts";

export const HEADER_EVENT = "X-Pilot-Event";
export const HEADER_DELIVERY = "X-Pilot-Delivery";
export const HEADER_SIGNATURE = "X-Pilot-Signature";
export const SIGNATURE_PREFIX = "sha256=";

const HTTP_SERVER_ERROR_MIN = 500;
const HTTP_SUCCESS_MIN = 200;
const HTTP_SUCCESS_MAX = 299;

/** This node as deliveries name it. */
export interface WebhookSelf {
  readonly nodeId: number;
  readonly address: string;
}

/** One event, fixed when it was emitted; every attempt sends the same body and delivery id. */
export interface WebhookDelivery {
  readonly id: string;
  readonly event: string;
  readonly body: string;
}

/** The body: `{"event","id","node_id","address","timestamp","data"}`, timestamp RFC 3339 UTC with milliseconds. */
export function buildDelivery(
  event: string,
  data: Readonly<Record<string, unknown>>,
  self: WebhookSelf,
  nowMs: number,
  id: string = crypto.randomUUID(),
): WebhookDelivery {
  const body = JSON.stringify({
    event,
    id,
    node_id: self.nodeId,
    address: self.address,
    timestamp: new Date(nowMs).toISOString(),
    data,
  });
  return { id, event, body };
}

/** `sha256=<hex HMAC-SHA256(secret, body)>`. */
export function signBody(secret: string, body: string): string {
  return SIGNATURE_PREFIX + toHex(hmacSha256(utf8(secret), utf8(body)));
}

/** The request headers; the signature only when a secret is set. */
export function deliveryHeaders(delivery: WebhookDelivery, secret: string): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    [HEADER_EVENT]: delivery.event,
    [HEADER_DELIVERY]: delivery.id,
  };
  if (secret !== "") headers[HEADER_SIGNATURE] = signBody(secret, delivery.body);
  return headers;
}

/** 5xx is retried; any other answer is final. */
export function isRetryableStatus(status: number): boolean {
  return status >= HTTP_SERVER_ERROR_MIN;
}

export function isSuccessStatus(status: number): boolean {
  return status >= HTTP_SUCCESS_MIN && status <= HTTP_SUCCESS_MAX;
}
