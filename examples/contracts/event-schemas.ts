import { readFile } from 'node:fs/promises';
import { ProductEvents, SystemEvents, UserEvents } from 'switchboard';
import { eventSchemaSnapshot, type EventSchemaSnapshot } from 'switchboard/testing';

/**
 * The committed snapshot of the seed catalogue's event schemas: what the
 * consumers of those events were built against.
 */
export const EVENT_SCHEMAS_FILE = new URL('./event-schemas.snapshot.json', import.meta.url);

/** Writes {@link EVENT_SCHEMAS_FILE} again from the catalogue as it is now. */
export const UPDATE_EVENT_SCHEMAS = 'node --import tsx examples/contracts/update-event-schemas.ts';

/** The event schemas of the catalogue the examples publish and consume, as they are now. */
export function currentEventSchemas(): EventSchemaSnapshot {
  return eventSchemaSnapshot([UserEvents, ProductEvents, SystemEvents]);
}

/** The committed snapshot, as read from {@link EVENT_SCHEMAS_FILE}. */
export async function committedEventSchemas(): Promise<EventSchemaSnapshot> {
  return JSON.parse(await readFile(EVENT_SCHEMAS_FILE, 'utf8')) as EventSchemaSnapshot;
}
