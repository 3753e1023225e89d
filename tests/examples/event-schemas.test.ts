import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProductEvents, SystemEvents, UserEvents, defineEvent } from 'switchboard';
import {
  checkEventCompatibility,
  eventSchemaSnapshot,
  type EventSchemaChange,
  type EventSchemaSnapshot,
} from 'switchboard/testing';
import {
  UPDATE_EVENT_SCHEMAS,
  committedEventSchemas,
  currentEventSchemas,
} from '../../examples/contracts/event-schemas.js';

const committed = await committedEventSchemas();

const lines = (changes: readonly EventSchemaChange[]): string =>
  changes.map((change) => `  ${change.path}: ${change.message}`).join('\n');

/** Throws listing every change that would break a consumer built against `previous`. */
function assertCompatible(previous: EventSchemaSnapshot, current: EventSchemaSnapshot): void {
  const { breaking } = checkEventCompatibility(previous, current);
  if (breaking.length === 0) return;
  throw new Error(
    `${breaking.length} breaking change(s) to published events:\n${lines(breaking)}\n` +
      'Consumers built against the committed schemas may reject or misread these events. Publish a new ' +
      'version next to the old one instead; update the snapshot only once no consumer reads the old one.',
  );
}

/** Throws, saying how to update it, when the committed snapshot is not the current one. */
function assertUpToDate(previous: EventSchemaSnapshot, current: EventSchemaSnapshot): void {
  // Compared as data: the file's layout is prettier's.
  if (isDeepStrictEqual(previous, current)) return;
  const { breaking, nonBreaking } = checkEventCompatibility(previous, current);
  const changes = lines([...breaking, ...nonBreaking]) || '  (the JSON differs)';
  throw new Error(
    `examples/contracts/event-schemas.snapshot.json is stale:\n${changes}\n` +
      `Run \`${UPDATE_EVENT_SCHEMAS}\` and commit the file` +
      (breaking.length > 0 ? ', once the breaking changes above are meant to ship.' : '.'),
  );
}

describe('the seed catalogue against its committed event schemas', () => {
  it('breaks no consumer of the committed schemas', () => {
    assertCompatible(committed, currentEventSchemas());
  });

  it('is exactly the committed snapshot', () => {
    assertUpToDate(committed, currentEventSchemas());
  });

  it('fails, listing the breaking change, when a published event is retyped', () => {
    const priceAsText = defineEvent(
      'product.created',
      ProductEvents.created.schema.extend({ price: z.string() }),
      { topic: ProductEvents.created.topic },
    );
    const broken = eventSchemaSnapshot([
      UserEvents,
      { ...ProductEvents, created: priceAsText },
      SystemEvents,
    ]);
    expect(() => {
      assertCompatible(committed, broken);
    }).toThrow(
      /^1 breaking change\(s\) to published events:\n {2}product\.created@1 data\.price: /,
    );
  });

  it('fails, saying how to update it, when the catalogue grows compatibly', () => {
    const withCurrency = defineEvent(
      'product.created',
      ProductEvents.created.schema.extend({ currency: z.string().optional() }),
      { topic: ProductEvents.created.topic },
    );
    const grown = eventSchemaSnapshot([
      UserEvents,
      { ...ProductEvents, created: withCurrency },
      SystemEvents,
    ]);
    expect(() => {
      assertCompatible(committed, grown);
    }).not.toThrow();
    expect(() => {
      assertUpToDate(committed, grown);
    }).toThrow(/product\.created@1 data\.currency: [^]*Run `node --import tsx examples\/contracts/);
  });
});
