import { ErrorBodySchema, IdParams } from '../shared/schemas.js';
import { requestCorrelation } from '../shared/correlation.js';
import { sendError } from '../shared/replies.js';
import type { ZodApp } from '../shared/http-app.js';
import {
  authenticate,
  productView,
  requirePermission,
  type ProductContext,
} from './product-context.js';
import {
  CreateProductBody,
  ProductView,
  ReplaceProductBody,
  StockBody,
  StockUpdate,
} from './schemas.js';

const security = [{ bearer: [] }];
const errors = {
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  503: ErrorBodySchema,
};

/** The product API: every route needs a user's token, verified locally. */
export function productRoutes(app: ZodApp, context: ProductContext): void {
  const { store, publisher } = context;

  app.post(
    '/products',
    {
      schema: {
        tags: ['products'],
        summary: 'Create a product; publishes product.created; answers it with its creator',
        security,
        body: CreateProductBody,
        response: { 201: ProductView, ...errors },
      },
    },
    async (request, reply) => {
      const caller = await authenticate(context, request, reply);
      if (caller === undefined) return reply;
      const { name, price, description, category, stock } = request.body;
      const product = store.add({
        name,
        price,
        description: description ?? null,
        category: category ?? null,
        stock,
        createdBy: caller.userId,
      });
      await publisher.publishProductCreated({
        productId: product.id,
        name,
        price,
        createdBy: caller.userId,
        ...(description === undefined ? {} : { description }),
        ...(category === undefined ? {} : { category }),
      });
      return reply.code(201).send(await productView(context, request, product, caller.token));
    },
  );

  app.get(
    '/products/:id',
    {
      schema: {
        tags: ['products'],
        summary: 'A product with its creator (without, flagged, when auth is down)',
        security,
        params: IdParams,
        response: { 200: ProductView, ...errors },
      },
    },
    async (request, reply) => {
      const caller = await authenticate(context, request, reply);
      if (caller === undefined) return reply;
      const product = store.get(request.params.id);
      if (product === undefined)
        return sendError(request, reply, 404, 'not_found', 'no such product');
      return productView(context, request, product, caller.token);
    },
  );

  app.put(
    '/products/:id',
    {
      schema: {
        tags: ['products'],
        summary: 'Replace a product (its creator, or update_product); publishes product.updated',
        security,
        params: IdParams,
        body: ReplaceProductBody,
        response: { 200: ProductView, ...errors },
      },
    },
    async (request, reply) => {
      const caller = await authenticate(context, request, reply);
      if (caller === undefined) return reply;
      const product = store.get(request.params.id);
      if (product === undefined)
        return sendError(request, reply, 404, 'not_found', 'no such product');
      // The creator needs no permission check, so can edit even while auth is down.
      if (
        product.createdBy !== caller.userId &&
        !(await requirePermission(context, request, reply, caller, 'update_product'))
      ) {
        return reply;
      }
      const changes: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(request.body)) {
        if (product[field as keyof typeof request.body] !== value) changes[field] = value;
      }
      Object.assign(product, request.body);
      if (Object.keys(changes).length > 0) {
        product.updatedAt = new Date().toISOString();
        await publisher.publishProductUpdated({
          productId: product.id,
          changes,
          updatedBy: caller.userId,
        });
      }
      return productView(context, request, product, caller.token);
    },
  );

  app.patch(
    '/products/:id/stock',
    {
      schema: {
        tags: ['products'],
        summary: 'Set the quantity in stock (manage_stock); publishes product.stock_updated',
        security,
        params: IdParams,
        body: StockBody,
        response: { 200: StockUpdate, ...errors },
      },
    },
    async (request, reply) => {
      const caller = await authenticate(context, request, reply);
      if (caller === undefined) return reply;
      const { id } = request.params;
      if (store.get(id) === undefined) {
        return sendError(request, reply, 404, 'not_found', 'no such product');
      }
      if (!(await requirePermission(context, request, reply, caller, 'manage_stock'))) return reply;
      // Read and written with no await in between: concurrent updates each see the last one.
      const product = store.get(id);
      if (product === undefined)
        return sendError(request, reply, 404, 'not_found', 'no such product');
      const { quantity, reason } = request.body;
      const oldQuantity = product.stock;
      product.stock = quantity;
      product.updatedAt = new Date().toISOString();
      const update = {
        productId: id,
        oldQuantity,
        newQuantity: quantity,
        updatedBy: caller.userId,
        ...(reason === undefined ? {} : { reason }),
      };
      await publisher.publishProductStockUpdated(update);
      return { ...update, correlationId: requestCorrelation(request).correlationId };
    },
  );
}
