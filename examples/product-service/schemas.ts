import { z } from 'zod';

const Name = z.string().min(1).max(200);
const Price = z.number().nonnegative().max(1_000_000);
const Quantity = z.number().int().nonnegative().max(1_000_000_000);

export const CreateProductBody = z.object({
  name: Name,
  price: Price,
  description: z.string().max(2_000).optional(),
  category: z.string().min(1).max(100).optional(),
  /** Initial quantity in stock. */
  stock: Quantity.default(0),
});

export const ReplaceProductBody = z.object({
  name: Name,
  price: Price,
  description: z.string().max(2_000).nullable(),
  category: z.string().min(1).max(100).nullable(),
});

export const StockBody = z.object({
  /** The new quantity in stock. */
  quantity: Quantity,
  reason: z.string().min(1).max(200).optional(),
});

/** The creator's public profile, from the auth service. */
export const Creator = z.object({
  id: z.number().int(),
  username: z.string(),
  fullName: z.string().nullable(),
});

/**
 * A product as the API answers it: enriched with its creator's profile when
 * the auth service could give it (`enrichment: 'complete'`), without it when
 * not (`'unavailable'`, `creator: null`, and why in `degradedReason`).
 */
export const ProductView = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  price: z.number(),
  category: z.string().nullable(),
  stock: z.number().int(),
  createdBy: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  creator: Creator.nullable(),
  enrichment: z.enum(['complete', 'unavailable']),
  degradedReason: z.string().optional(),
  /** The correlation id of the request, also in `x-correlation-id`. */
  correlationId: z.string(),
});
export type ProductView = z.infer<typeof ProductView>;

export const StockUpdate = z.object({
  productId: z.number().int(),
  oldQuantity: z.number().int(),
  newQuantity: z.number().int(),
  reason: z.string().optional(),
  updatedBy: z.number().int(),
  correlationId: z.string(),
});
