// Slack re-delivers an event when it thinks the ack came too late (Socket Mode `retry_attempt`, HTTP
// `X-Slack-Retry-Num`); a retried "start a search" must not start a second one.

/** A bounded set of recently seen delivery ids; the oldest id is forgotten first. */
export class DeliveryDedupe {
  readonly #seen = new Map<string, true>();
  readonly #capacity: number;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  /** Records `id`; true when it had been seen already (the delivery is a duplicate). */
  isDuplicate(id: string): boolean {
    if (this.#seen.has(id)) return true;
    this.#seen.set(id, true);
    if (this.#seen.size > this.#capacity) this.#seen.delete(this.#seen.keys().next().value as string);
    return false;
  }

  get size(): number {
    return this.#seen.size;
  }
}

/**
 * The id that is the same across Slack's retries of one delivery: the Events API `event_id`, else the
 * `trigger_id` of commands and interactions, else the Socket Mode envelope id.
 */
export function deliveryId(body: Record<string, unknown>, envelopeId: string | undefined): string | undefined {
  if (typeof body.event_id === 'string') return `event:${body.event_id}`;
  if (typeof body.trigger_id === 'string') return `trigger:${body.trigger_id}`;
  return envelopeId === undefined ? undefined : `envelope:${envelopeId}`;
}
