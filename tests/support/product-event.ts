import { ProductEvents } from 'switchboard';

/** The fault tests' event: a `product.created` whose `productId` tells it apart. */
export function productCreated(productId: number) {
  return ProductEvents.created.create({
    productId,
    name: 'Pen',
    price: 2,
    createdBy: 7,
    category: 'office',
  });
}
