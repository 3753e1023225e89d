import { z } from 'zod';
import { Changes, Id, Text } from './catalogue-fields.js';
import { defineEvent } from './define-event.js';

const subject = (data: { productId: number }): string => String(data.productId);
const Quantity = z.int().nonnegative();

const created = defineEvent(
  'product.created',
  z.object({
    productId: Id,
    name: Text,
    price: z.number().nonnegative(),
    /** The id of the user who created the product. */
    createdBy: Id,
    description: z.string().optional(),
    category: Text.optional(),
  }),
  { subject },
);

const updated = defineEvent(
  'product.updated',
  z.object({ productId: Id, changes: Changes, updatedBy: Id }),
  { subject },
);

const stockUpdated = defineEvent(
  'product.stock_updated',
  z.object({
    productId: Id,
    oldQuantity: Quantity,
    newQuantity: Quantity,
    updatedBy: Id,
    reason: Text.optional(),
  }),
  { subject },
);

/**
 * The seed's product events (topic `product`, version `'1'`, subject = the
 * product id): `created` (`product.created`), `updated` (`product.updated`),
 * `stockUpdated` (`product.stock_updated`).
 *
 * @example
 * import { ProductEvents } from 'switchboard';
 * const event = ProductEvents.stockUpdated.create({
 *   productId: 1, oldQuantity: 10, newQuantity: 7, updatedBy: 42, reason: 'sale',
 * });
 */
export const ProductEvents = { created, updated, stockUpdated } as const;
